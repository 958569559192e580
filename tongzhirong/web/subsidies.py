"""Subsidy claims (贴息 / 保费补贴 / 评估费补贴) in pages: a firm sees the policies, what its loans earn under one in a
year and why not, claims and withdraws; the city office approves, rejects with a reason and records payment.
The same selectors and services as /api/v1/subsidy-policies/ and /api/v1/subsidy-claims/."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.core.errors import ValidationFailed
from tongzhirong.core.state import allowed_targets
from tongzhirong.enterprises.selectors import enterprise_of
from tongzhirong.subsidies import services
from tongzhirong.subsidies.filters import ClaimFilter
from tongzhirong.subsidies.models import ClaimStatus, SubsidyClaim
from tongzhirong.subsidies.rules import enterprise_reasons, local_day
from tongzhirong.subsidies.selectors import claimable_loans, subsidy_claim_list, subsidy_policy_list

from . import forms
from .pages import CITY_WIDE, attempt, for_kinds, page, posted, refused_filters

sme_only = for_kinds(OrganisationKind.SME)
city_side = for_kinds(*CITY_WIDE)


def _claim_rows(claims) -> list[tuple[SubsidyClaim, frozenset[str]]]:
    """Each claim with the statuses it may move to, so that a page offers only the moves the state machine has."""
    return [(claim, allowed_targets(SubsidyClaim, claim.status)) for claim in claims]


# --- the firm -------------------------------------------------------------------------------------------


@sme_only
def sme_subsidies(request):
    enterprise = enterprise_of(user=request.user)
    if enterprise is None:
        return redirect("web:sme-profile")
    open_policies = subsidy_policy_list(user=request.user).filter(is_active=True)
    years = {policy.pk: _years(policy) for policy in open_policies}
    claim_form = None
    selected, fees, ticked = None, {}, None  # ticked: the loans of a refused claim; None ticks the eligible ones
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "withdraw":
            return _withdraw(request)
        if action != "claim":
            raise Http404
        claim_form = forms.SubsidyClaimForm(
            request.POST, policies=subsidy_policy_list(user=request.user), loans=claimable_loans(user=request.user)
        )
        valid = claim_form.is_valid()
        data = dict(claim_form.cleaned_data)  # a refusal below takes the field it names out of cleaned_data
        if valid and attempt(request, lambda: _submit(request, data), claim_form):
            return redirect(_quote_url(data["policy"].pk, data["year"]))
        if data.get("policy") and data.get("year"):
            selected = (data["policy"], data["year"])
        fees, ticked = data.get("appraisal_fees", {}), set(request.POST.getlist("loans"))
        chooser = forms.SubsidyQuoteForm(policies=open_policies, initial=_initial(selected))
    elif "policy" in request.GET or "year" in request.GET:
        chooser = forms.SubsidyQuoteForm(request.GET, policies=open_policies)
        if chooser.is_valid():
            selected = (chooser.cleaned_data["policy"], chooser.cleaned_data["year"])
    else:
        # The first open policy in its latest year so far: what the firm most likely comes to claim.
        selected = next(((p, years[p.pk][0]) for p in open_policies if years[p.pk]), None)
        chooser = forms.SubsidyQuoteForm(policies=open_policies, initial=_initial(selected))
    quote = lines = None
    if selected is not None:
        policy, year = selected
        quote = services.subsidy_claim_quote(
            policy=policy,
            enterprise=enterprise,
            year=year,
            loans=list(claimable_loans(user=request.user, year=year)),
            appraisal_fees=fees,
        )
        if ticked is None:
            ticked = {str(line.loan.pk) for line in quote.lines if line.eligible}
        lines = [
            {"quote": line, "ticked": str(line.loan.pk) in ticked, "fee": fees.get(line.loan.pk)}
            for line in quote.lines
        ]
    claims = Paginator(subsidy_claim_list(user=request.user), 25).get_page(request.GET.get("page"))
    return page(
        request,
        "web/sme/subsidies.html",
        {
            "policies": [
                {
                    "policy": policy,
                    "years": years[policy.pk],
                    "firm_reasons": enterprise_reasons(policy=policy, enterprise=enterprise),
                }
                for policy in open_policies
            ],
            "chooser": chooser,
            "selected": selected,
            "quote": quote,
            "lines": lines,
            "claim_form": claim_form,
            "page_obj": claims,
            "claims": _claim_rows(claims),
            "C": ClaimStatus,
        },
    )


def _years(policy) -> list[int]:
    """The years the policy runs that have begun, latest first: those a firm can claim for."""
    this_year = local_day(timezone.now()).year
    return [year for year in range(this_year, policy.first_year - 1, -1) if policy.covers_year(year)]


def _initial(selected) -> dict:
    return {"policy": selected[0], "year": selected[1]} if selected else {}


def _quote_url(policy_id: int, year: int) -> str:
    return f"{reverse('web:sme-subsidies')}?{urlencode({'policy': policy_id, 'year': year})}"


def _submit(request, data) -> None:
    try:
        claim = services.subsidy_claim_submit(
            actor=request.user,
            policy=data["policy"],
            year=data["year"],
            loans=list(data["loans"]),
            appraisal_fees=data["appraisal_fees"],
        )
    except services.NotEligible as exc:
        # Its reasons are the quote's, which the page shows beside each loan and, for the firm, above them.
        raise ValidationFailed(
            {"loans": [_("Nothing was claimed; the reasons are shown below, beside each loan or for your firm.")]}
        ) from exc
    messages.success(
        request,
        _("Claim %(reference)s is submitted for %(amount)s yuan.")
        % {"reference": claim.reference, "amount": claim.amount},
    )


def _withdraw(request):
    claim = posted(request, subsidy_claim_list(user=request.user), "claim")
    form = forms.SubsidyDecisionForm(request.POST)
    if not form.is_valid():
        _form_messages(request, form)
    elif attempt(
        request,
        lambda: services.subsidy_claim_withdraw(actor=request.user, claim=claim, reason=form.cleaned_data["reason"]),
    ):
        messages.success(request, _("Claim %(reference)s is withdrawn.") % {"reference": claim.reference})
    return redirect(request.get_full_path())


def _form_messages(request, form) -> None:
    for name, problems in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        for problem in problems:
            messages.error(request, f"{label}: {problem}" if label else problem)


# --- the city office ------------------------------------------------------------------------------------

# The office's moves on one claim: (form, service call).
CITY_MOVES = {
    "approve": (
        forms.SubsidyDecisionForm,
        lambda user, claim, data: services.subsidy_claim_approve(actor=user, claim=claim, reason=data["reason"]),
    ),
    "reject": (
        forms.SubsidyDecisionForm,
        lambda user, claim, data: services.subsidy_claim_reject(actor=user, claim=claim, reason=data["reason"]),
    ),
    "pay": (
        forms.SubsidyPaymentForm,
        lambda user, claim, data: services.subsidy_claim_record_payment(
            actor=user, claim=claim, paid_on=data["paid_on"], reference=data["reference"]
        ),
    ),
}


@city_side
def city_subsidies(request):
    if request.method == "POST":
        claim = posted(request, subsidy_claim_list(user=request.user), "claim")
        if request.POST.get("action") not in CITY_MOVES:
            raise Http404
        form_class, call = CITY_MOVES[request.POST["action"]]
        form = form_class(request.POST)
        if not form.is_valid():
            _form_messages(request, form)
        elif attempt(request, lambda: call(request.user, claim, form.cleaned_data)):
            messages.success(
                request,
                _("Claim %(reference)s: %(status)s.")
                % {"reference": claim.reference, "status": claim.get_status_display()},
            )
        return redirect(request.get_full_path())
    # The claims' one filter definition, so that the page and GET /api/v1/subsidy-claims/ accept the same values.
    params = ClaimFilter(request.GET)
    filters = params.chosen()
    if not params.is_valid():
        refused_filters(
            request, params.errors, params.labels(), _("Some filters are not valid, so every claim is shown.")
        )
    everyone = subsidy_claim_list(user=request.user)
    counts = everyone.aggregate(**{s: Count("id", filter=Q(status=s)) for s in ClaimStatus.values})
    claims = Paginator(subsidy_claim_list(user=request.user, filters=filters), 25).get_page(request.GET.get("page"))
    export = urlencode({k: v for k, v in filters.items() if v not in (None, "")})
    return page(
        request,
        "web/city/subsidies.html",
        {
            "page_obj": claims,
            "claims": _claim_rows(claims),
            "counts": [(value, label, counts[value]) for value, label in ClaimStatus.choices],
            "selected": filters,
            "policies": subsidy_policy_list(user=request.user),
            "can_decide": services.can_decide_claims(request.user),
            "export_query": f"&{export}" if export else "",
            "today": local_day(timezone.now()),
            "C": ClaimStatus,
        },
    )


@city_side
def city_policies(request):
    policies = (
        subsidy_policy_list(user=request.user).annotate(claim_count=Count("claims")).order_by("-first_year", "name")
    )
    return page(
        request,
        "web/city/policies.html",
        {"policies": policies, "can_edit": services.can_decide_claims(request.user)},
    )


@city_side
def city_policy(request, pk: int | None = None):
    """A new policy, or one to change. Once firms have claimed under it only its name, description, opening and
    last year may change (the service's rule); the other terms show disabled."""
    policy = get_object_or_404(subsidy_policy_list(user=request.user), pk=pk) if pk is not None else None
    locked = frozenset()
    if policy is not None and policy.claims.exists():
        locked = frozenset(services.POLICY_FIELDS - services.EDITABLE_AFTER_CLAIMS)
    form = forms.SubsidyPolicyForm(request.POST or None, instance=policy, locked=locked)

    def save():
        if policy is None:
            return services.subsidy_policy_create(actor=request.user, **form.cleaned_data)
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        return services.subsidy_policy_update(actor=request.user, policy=policy, **changed)

    if request.method == "POST" and form.is_valid() and attempt(request, save, form):
        messages.success(request, _("The policy is saved."))
        return redirect("web:city-policies")
    return page(
        request,
        "web/city/policy.html",
        {"form": form, "policy": policy, "locked": bool(locked), "can_edit": services.can_decide_claims(request.user)},
    )
