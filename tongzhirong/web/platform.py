"""The platform's desk for disputed facts: each open dispute with the fact as the source recorded it and the firm's
reason; the platform resolves it (the source stands, or the source corrected it: the corrected value is recorded
as a new fact). Refusals come from ``tongzhirong.facts.services``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.facts.models import DisputeStatus
from tongzhirong.facts.selectors import dispute_list, shown
from tongzhirong.facts.services import fact_dispute_resolve

from .pages import attempt, for_kinds, page, posted

RESOLVED_SHOWN = 20  # the latest resolutions, for the record


class DisputeResolveForm(forms.Form):
    upheld = forms.TypedChoiceField(
        label=gettext_lazy("Decision"),
        choices=(
            ("false", gettext_lazy("The source stands")),
            ("true", gettext_lazy("The source corrected it")),
        ),
        coerce=lambda value: value == "true",
        widget=forms.RadioSelect,
    )
    resolution = forms.CharField(label=gettext_lazy("How it was resolved"), max_length=2000)
    corrected_value = forms.CharField(
        label=gettext_lazy("Corrected value (when the source corrected it)"), max_length=200, required=False
    )
    reference = forms.CharField(
        label=gettext_lazy("The source's reference for the correction"), max_length=100, required=False
    )


@for_kinds(OrganisationKind.PLATFORM)
def disputes(request):
    bound = None
    if request.method == "POST":
        dispute = posted(request, dispute_list(user=request.user).filter(status=DisputeStatus.OPEN), "dispute")
        bound = DisputeResolveForm(request.POST, prefix=f"d{dispute.pk}")
        if bound.is_valid():
            data = bound.cleaned_data
            corrected = data["corrected_value"].strip() or None if data["upheld"] else None

            def resolve():
                fact_dispute_resolve(
                    actor=request.user,
                    dispute=dispute,
                    upheld=data["upheld"],
                    resolution=data["resolution"],
                    corrected_value=corrected,
                    reference=data["reference"],
                )

            if attempt(request, resolve, bound):
                messages.success(request, _("Dispute resolved."))
                return redirect("web:platform-disputes")
    visible = dispute_list(user=request.user).select_related("fact__enterprise", "correction")

    def form_for(d):
        return bound if bound is not None and bound.prefix == f"d{d.pk}" else DisputeResolveForm(prefix=f"d{d.pk}")

    open_items = [
        {"dispute": d, "shown": shown(d.fact.name, d.fact.value), "form": form_for(d)}
        for d in visible.filter(status=DisputeStatus.OPEN).order_by("created_at", "pk")
    ]
    resolved = [
        {
            "dispute": d,
            "shown": shown(d.fact.name, d.fact.value),
            "corrected": shown(d.fact.name, d.correction.value) if d.correction_id else "",
        }
        for d in visible.exclude(status=DisputeStatus.OPEN).order_by("-resolved_at", "-pk")[:RESOLVED_SHOWN]
    ]
    return page(request, "web/platform/disputes.html", {"open_items": open_items, "resolved": resolved})
