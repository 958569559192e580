"""Insurers and guarantors: their products, the policies and guarantees bound to loans, and the claims they
decide and pay. The bank's disposal desk lives here too: it is the same bad path seen from the lender."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.core.cells import parse_amount
from tongzhirong.core.money import AMOUNT_LIMIT
from tongzhirong.financing.models import LoanStatus
from tongzhirong.financing.selectors import loan_list
from tongzhirong.products.models import GuaranteeProduct, InsuranceProduct
from tongzhirong.risksharing import services as risk
from tongzhirong.risksharing.models import ClaimStatus
from tongzhirong.risksharing.selectors import claim_list, cover_policy_list, disposal_case_list, recovery_rates

from .pages import attempt, for_kinds, page, posted

providers_only = for_kinds(OrganisationKind.INSURER, OrganisationKind.GUARANTOR)
bank_only = for_kinds(OrganisationKind.BANK)


def _amount(value: str | None) -> Decimal | None:
    """The amount typed, or None when it is not one a money column holds (the service then refuses zero)."""
    try:
        amount = parse_amount(value or "")
    except ValueError:
        return None
    return amount if amount < AMOUNT_LIMIT else None


CLAIM_MOVES = {
    "approve": lambda user, claim, data: risk.claim_approve(
        actor=user, claim=claim, amount=_amount(data.get("amount")) or Decimal(0), comment=data.get("comment", "")
    ),
    "reject": lambda user, claim, data: risk.claim_reject(actor=user, claim=claim, reason=data.get("reason", "")),
    "pay": lambda user, claim, data: risk.claim_record_payment(
        actor=user, claim=claim, reference=data.get("reference", "")
    ),
}


@providers_only
def provider_home(request):
    org = request.user.organisation
    if request.method == "POST":
        claim = posted(request, claim_list(user=request.user), "claim")
        move = CLAIM_MOVES.get(request.POST.get("action"))
        if move is None:
            raise Http404
        if attempt(request, lambda: move(request.user, claim, request.POST)):
            messages.success(request, _("Done."))
        return redirect("web:provider")
    products = (
        InsuranceProduct.objects.filter(insurer=org)
        if request.user.kind == OrganisationKind.INSURER
        else GuaranteeProduct.objects.filter(guarantor=org)
    )
    return page(
        request,
        "web/provider.html",
        {
            "products": products,
            "policies": cover_policy_list(user=request.user)
            .select_related("loan__borrower")
            .order_by("-starts_on")[:100],
            "claims": claim_list(user=request.user).select_related("loan__borrower").order_by("-id")[:100],
            "ClaimStatus": ClaimStatus,
        },
    )


@bank_only
def disposal_desk(request):
    if request.method == "POST":
        loan = posted(request, loan_list(user=request.user), "loan")
        asset = posted(request, loan.application.assets.all(), "asset")
        if attempt(request, lambda: risk.disposal_case_open(actor=request.user, loan=loan, asset=asset)):
            messages.success(request, _("The disposal case is opened."))
        return redirect("web:bank-disposal")
    defaulted = (
        loan_list(user=request.user)
        .filter(status=LoanStatus.DEFAULTED)
        .select_related("application")
        .prefetch_related("application__assets")
    )
    return page(
        request,
        "web/bank/disposal.html",
        {
            "cases": disposal_case_list(user=request.user).order_by("-id")[:100],
            "defaulted": defaulted,
            "rates": recovery_rates(user=request.user),
        },
    )
