"""The bank's risk team's page (issue 20, item 3): upload the bank's loans to train its own pledge-risk model,
follow each training, read each version's model card, and ask to promote the challenger. Training runs in a task;
promotion happens only when the service's rule says the challenger wins out of time beyond the noise."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from scoring.cards import bank_model_card
from scoring.models import ModelRole
from scoring.training import (
    RISK_TEAM_ROLES,
    bank_model_promote,
    bank_model_training_list,
    bank_model_version_list,
)
from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.core.errors import RowsRejected, ValidationFailed
from tongzhirong.lending.risk_models import bank_model_training_queue

from . import forms
from .pages import attempt, for_kinds, page, posted


@for_kinds(OrganisationKind.BANK)
def risk_models(request):
    form = forms.RiskModelTrainingForm()
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "train":
            form = forms.RiskModelTrainingForm(request.POST, request.FILES)
            if form.is_valid() and _train(request, form):
                messages.success(
                    request,
                    _(
                        "The file is accepted and the model is being trained: this takes a few minutes. It then "
                        "appears below as your bank's challenger, with its model card."
                    ),
                )
                return redirect("web:bank-risk-models")
        elif action == "promote":
            version = posted(request, bank_model_version_list(user=request.user), "version")
            if request.POST.get("confirm") != "yes":
                messages.error(request, _("Tick the box to confirm: this cannot be undone."))
            elif attempt(request, lambda: bank_model_promote(actor=request.user, version=version)):
                messages.success(
                    request,
                    _("Promoted: your bank's queue is now scored with this model; the previous one is retired."),
                )
            return redirect("web:bank-risk-models")
        else:
            raise Http404
    versions = list(bank_model_version_list(user=request.user).order_by("-registered_at", "-pk"))
    return page(
        request,
        "web/bank/risk_models.html",
        {
            "form": form,
            "may_train": request.user.role in RISK_TEAM_ROLES,
            "trainings": bank_model_training_list(user=request.user).order_by("-created_at", "-pk")[:20],
            "versions": [(v, bank_model_card(v)) for v in versions],
            "CHALLENGER": ModelRole.CHALLENGER,
        },
    )


def _train(request, form) -> bool:
    """Queue the training; a refusal reaches the form (each refused cell by its row and column)."""
    data = form.cleaned_data

    def queue():
        try:
            bank_model_training_queue(
                actor=request.user, upload=data["file"], target=data["target"], bad=data["bad"], kind=data["kind"]
            )
        except RowsRejected as refused:
            cells = [
                _("Row %(row)s, column %(column)s: %(message)s")
                % {"row": problem["row"], "column": problem["field"], "message": problem["message"]}
                for problem in refused.rows[:10]
            ]
            raise ValidationFailed({"file": [refused.detail, *cells]}) from refused

    return attempt(request, queue, form)
