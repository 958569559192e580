"""Insurers and guarantors: their products, the policies and guarantees bound to loans, and the claims they
decide and pay; appraisal firms: the loans they appraised for the pool and their share of its losses. The
bank's disposal desk lives here too: it is the same bad path seen from the lender."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case, When
from django.forms import Form
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from scoring.appraisals import appraisal_file, appraisal_list
from scoring.models import AppraisalStatus
from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.core.cells import parse_amount
from tongzhirong.core.money import AMOUNT_LIMIT
from tongzhirong.financing.models import LoanStatus
from tongzhirong.financing.selectors import application_list, loan_list
from tongzhirong.products.models import GuaranteeProduct, InsuranceProduct
from tongzhirong.products.services import cover_product_post, cover_product_revise
from tongzhirong.risksharing import selectors as risk_selectors
from tongzhirong.risksharing import services as risk
from tongzhirong.risksharing import waterfall
from tongzhirong.risksharing.models import ClaimStatus, CoverKind, CoverRequestStatus, DisposalRoute, DisposalStatus
from tongzhirong.risksharing.selectors import (
    claim_histories,
    claim_list,
    cover_policy_list,
    cover_request_histories,
    cover_request_list,
    disposal_case_list,
    pool_filing_list,
    recovery_rates,
)

from . import forms
from .pages import attempt, for_kinds, page, posted

providers_only = for_kinds(OrganisationKind.INSURER, OrganisationKind.GUARANTOR)
bank_only = for_kinds(OrganisationKind.BANK)
appraisers_only = for_kinds(OrganisationKind.APPRAISER)


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


def _cover_forms(request, waiting) -> tuple[dict, dict]:
    """An acceptance form (the request's terms filled in, as percentages) and a decline form per waiting request."""
    accept = {
        c.pk: forms.CoverAcceptForm(
            prefix=f"accept-{c.pk}",
            initial={"rate": c.rate, "coverage_ratio": c.coverage_ratio, "coverage_cap": c.coverage_cap},
            guarantee=c.kind == CoverKind.GUARANTEE,
        )
        for c in waiting
    }
    decline = {
        c.pk: forms.CoverDeclineForm(prefix=f"decline-{c.pk}", guarantee=c.kind == CoverKind.GUARANTEE) for c in waiting
    }
    return accept, decline


# An underwriter's two answers to a cover request: (the form, its prefix, the service, what the message says by
# the request's kind: an insurer underwrites, 承保; a guarantor guarantees, 担保).
COVER_DECISIONS = {
    "accept-cover": (
        forms.CoverAcceptForm,
        "accept",
        risk.cover_request_accept,
        {
            CoverKind.INSURANCE: gettext_lazy(
                "Cover accepted: the bank is told the conditions and may disburse once its other steps are done."
            ),
            CoverKind.GUARANTEE: gettext_lazy(
                "Guarantee accepted: the bank is told the conditions and may disburse once its other steps are done."
            ),
        },
    ),
    "decline-cover": (
        forms.CoverDeclineForm,
        "decline",
        risk.cover_request_decline,
        {
            CoverKind.INSURANCE: gettext_lazy(
                "Cover declined: the bank is told the reason and may ask another provider."
            ),
            CoverKind.GUARANTEE: gettext_lazy(
                "Guarantee declined: the bank is told the reason and may ask another guarantor."
            ),
        },
    ),
}


def _decide_cover(request):
    """Accept or decline the posted cover request: None when done, else the request and its bound form to show."""
    cover = posted(request, cover_request_list(user=request.user), "cover")
    form_class, prefix, service, done = COVER_DECISIONS[request.POST["action"]]
    form = form_class(request.POST, prefix=f"{prefix}-{cover.pk}", guarantee=cover.kind == CoverKind.GUARANTEE)
    if form.is_valid() and attempt(
        request, lambda: service(actor=request.user, cover=cover, **form.cleaned_data), form
    ):
        messages.success(request, done[cover.kind])
        return None
    return cover, form


def _terms(product) -> dict:
    fields = ("premium_rate", "fee_rate", "coverage_ratio", "coverage_cap")
    return {f: getattr(product, f) for f in fields if hasattr(product, f)}


@providers_only
def provider_home(request):
    org = request.user.organisation
    products = (
        InsuranceProduct.objects.filter(insurer=org)
        if request.user.kind == OrganisationKind.INSURER
        else GuaranteeProduct.objects.filter(guarantor=org)
    ).order_by("name", "-version")
    post_class = forms.cover_product_form(request.user.kind, named=True)
    revise_class = forms.cover_product_form(request.user.kind, named=False)
    post_form = post_class(prefix="new")
    revise_forms = {p.pk: revise_class(prefix=f"revise-{p.pk}", initial=_terms(p)) for p in products if p.is_active}
    action = request.POST.get("action") if request.method == "POST" else None
    refused = None
    if action in COVER_DECISIONS:
        refused = _decide_cover(request)
        if refused is None:
            return redirect("web:provider")
    elif action == "post-product":
        post_form = post_class(request.POST, prefix="new")
        if post_form.is_valid() and attempt(
            request, lambda: cover_product_post(actor=request.user, **post_form.cleaned_data), post_form
        ):
            messages.success(request, _("Product posted: banks and firms can choose it from now on."))
            return redirect("web:provider")
    elif action == "revise-product":
        product = posted(request, products.filter(is_active=True), "product")
        form = revise_forms[product.pk] = revise_class(request.POST, prefix=f"revise-{product.pk}")
        if form.is_valid() and attempt(
            request, lambda: cover_product_revise(actor=request.user, product=product, **form.cleaned_data), form
        ):
            messages.success(request, _("New version published: loans that took the earlier version keep its terms."))
            return redirect("web:provider")
    elif request.method == "POST":
        claim = posted(request, claim_list(user=request.user), "claim")
        move = CLAIM_MOVES.get(request.POST.get("action"))
        if move is None:
            raise Http404
        if attempt(request, lambda: move(request.user, claim, request.POST)):
            messages.success(request, _("Done."))
        return redirect("web:provider")
    claims = list(claim_list(user=request.user).select_related("loan__borrower").order_by("-id")[:100])
    covers = list(
        cover_request_list(user=request.user)
        .select_related("requested_by", "decided_by")
        .order_by(Case(When(status=CoverRequestStatus.REQUESTED, then=0), default=1), "-created_at", "-id")[:100]
    )
    waiting = [c for c in covers if c.status == CoverRequestStatus.REQUESTED and c.application.status in risk.COVERABLE]
    accept_forms, decline_forms = _cover_forms(request, waiting)
    if refused is not None:
        cover, form = refused
        (accept_forms if isinstance(form, forms.CoverAcceptForm) else decline_forms)[cover.pk] = form
    cover_histories = cover_request_histories(requests=covers)
    return page(
        request,
        "web/provider.html",
        {
            "today": {
                "covers_waiting": len(waiting),
                "claims_to_decide": sum(c.status == ClaimStatus.SUBMITTED for c in claims),
                "claims_to_pay": sum(c.status == ClaimStatus.APPROVED for c in claims),
            },
            # A guarantor guarantees and compensates (担保, 代偿) where an insurer underwrites and pays claims.
            "guarantor": request.user.kind == OrganisationKind.GUARANTOR,
            "covers": covers,
            "cover_histories": {
                cover.pk: [(h, cover.status_words(h.to_status)) for h in cover_histories.get(cover.pk, ())]
                for cover in covers
            },
            "accept_forms": accept_forms,
            "decline_forms": decline_forms,
            "CoverRequestStatus": CoverRequestStatus,
            "products": products,
            "post_form": post_form,
            "revise_forms": revise_forms,
            "policies": cover_policy_list(user=request.user)
            .select_related("loan__borrower")
            .order_by("-starts_on")[:100],
            "claims": claims,
            "histories": claim_histories(claims=claims),
            "ClaimStatus": ClaimStatus,
        },
    )


@bank_only
@require_POST
def bank_cover(request, pk: int):
    """The lending bank, after a decline or a withdrawal: ask another provider, or go ahead without the cover."""
    application = get_object_or_404(application_list(user=request.user), pk=pk)
    action = request.POST.get("action")
    if action == "ask":
        model = InsuranceProduct if request.POST.get("kind") == CoverKind.INSURANCE else GuaranteeProduct
        product = posted(request, model.objects.filter(is_active=True), "product")
        if attempt(
            request, lambda: risk.cover_request_open(actor=request.user, application=application, product=product)
        ):
            messages.success(request, _("Cover asked for: the provider is notified; disburse once it accepts."))
    elif action == "go-without":
        cover = posted(request, cover_request_list(user=request.user).filter(application=application), "cover")
        if not request.POST.get("confirm"):
            messages.error(request, _("Tick the box to confirm the loan goes ahead without this cover."))
        elif attempt(request, partial(risk.cover_go_without, actor=request.user, cover=cover)):
            messages.success(
                request, _("The terms no longer include this cover: the loan may be disbursed without it.")
            )
    else:
        raise Http404
    return redirect("web:bank-application", pk=pk)


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


@dataclass(frozen=True)
class CaseStep:
    """A step the bank takes on a disposal case: the form that checks the input, the service it calls, the
    status the case must be in for the form to show (the service refuses it otherwise), and the words."""

    form: type[Form]
    take: Callable
    status: str
    title: str
    button: str
    done: str


CASE_STEPS = {
    "sale": CaseStep(
        forms.DirectSaleForm,
        risk.disposal_direct_sale,
        DisposalStatus.OPEN,
        gettext_lazy("Agreed transfer, exchange listing or equity swap"),
        gettext_lazy("Record the disposal"),
        gettext_lazy("The disposal is recorded with its recovery."),
    ),
    "auction": CaseStep(
        forms.AuctionForm,
        risk.auction_start,
        DisposalStatus.OPEN,
        gettext_lazy("Put it up for auction"),
        gettext_lazy("Schedule the auction"),
        gettext_lazy("The auction is scheduled."),
    ),
    "licence": CaseStep(
        forms.LicenceForm,
        risk.disposal_license,
        DisposalStatus.OPEN,
        gettext_lazy("License it"),
        gettext_lazy("Record the licence"),
        gettext_lazy("The licence is recorded."),
    ),
    "close": CaseStep(
        forms.AuctionCloseForm,
        risk.auction_close,
        DisposalStatus.AUCTION,
        gettext_lazy("Close the auction"),
        gettext_lazy("Close the auction"),
        gettext_lazy("The auction is closed."),
    ),
    "royalty": CaseStep(
        forms.RoyaltyForm,
        risk.disposal_royalty_record,
        DisposalStatus.LICENSING,
        gettext_lazy("Record a royalty received"),
        gettext_lazy("Record the royalty"),
        gettext_lazy("The royalty is recorded."),
    ),
}


@bank_only
def disposal_case(request, pk: int):
    """One case: what it is, its auction and bids, the royalty schedule, the recoveries, and the forms of the
    routes its status allows (the services refuse anything else)."""
    case = get_object_or_404(disposal_case_list(user=request.user).select_related("loan"), pk=pk)
    bound = {}
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in CASE_STEPS:
            raise Http404
        step = CASE_STEPS[action]
        form = bound[action] = step.form(request.POST)
        if form.is_valid() and attempt(
            request, lambda: step.take(actor=request.user, case=case, **form.cleaned_data), form
        ):
            messages.success(request, step.done)
            return redirect("web:bank-disposal-case", pk=pk)
    steps = [
        (action, step, bound.get(action) or step.form())
        for action, step in CASE_STEPS.items()
        if step.status == case.status
    ]
    auctions = list(case.auctions.all())
    running = next((a for a in auctions if a.closed_at is None), None)
    royalties = case.terms.get("royalties", []) if case.route == DisposalRoute.LICENSING else []
    return page(
        request,
        "web/bank/disposal_case.html",
        {
            "case": case,
            "steps": steps,
            "running": running,
            "past_auctions": [a for a in auctions if a.closed_at is not None],
            "royalties": royalties,
            "royalties_due": sum((Decimal(r["amount"]) for r in royalties), Decimal("0.00")),
            "recovered": sum((r.gross for r in case.recoveries.all()), Decimal("0.00")),
        },
    )


@appraisers_only
def appraiser_home(request):
    """The appraisals the firm is asked for, to file; and the loans it appraised for a pool filing: it bears its
    share of the pool's loss on them (the pool's appraiser share, within its cap per loan). For each loan in
    default, its share of the loss as the waterfall allocates it now (one allocation per defaulted loan; there are
    few)."""
    bound = {}
    if request.method == "POST":
        if request.POST.get("action") != "file-appraisal":
            raise Http404
        appraisal = posted(request, appraisal_list(user=request.user), "appraisal")
        form = forms.AppraisalFileForm(request.POST, request.FILES, prefix=f"appraisal-{appraisal.pk}")
        if form.is_valid() and attempt(
            request, lambda: appraisal_file(actor=request.user, appraisal=appraisal, **form.cleaned_data), form
        ):
            messages.success(request, _("Appraisal filed: the bank is notified and reads it beside the model's range."))
            return redirect("web:appraiser")
        bound[appraisal.pk] = form
    requests = list(appraisal_list(user=request.user).order_by("status", "-requested_at")[:100])
    file_forms = {
        a.pk: bound.get(a.pk) or forms.AppraisalFileForm(prefix=f"appraisal-{a.pk}")
        for a in requests
        if a.status == AppraisalStatus.REQUESTED
    }
    filings = list(
        pool_filing_list(user=request.user)
        .select_related("application__enterprise", "pool")
        .order_by("-created_at", "-id")[:200]
    )
    rows, exposure = [], Decimal("0.00")
    for filing in filings:
        share = None
        if filing.loan is not None and filing.loan.status in (LoanStatus.DEFAULTED, LoanStatus.WRITTEN_OFF):
            share = risk_selectors.loan_allocation(loan=filing.loan).shares[waterfall.APPRAISER]
            exposure += share
        rows.append((filing, share))
    pools = {filing.pool for filing in filings}
    return page(
        request,
        "web/appraiser.html",
        {
            "rows": rows,
            "exposure": exposure,
            "pools": sorted(pools, key=lambda p: p.name),
            "requests": requests,
            "file_forms": file_forms,
            "AppraisalStatus": AppraisalStatus,
        },
    )


@login_required
def appraisal_report(request, pk: int):
    """The signed report of an appraisal, for the lending bank and the firm."""
    item = get_object_or_404(appraisal_list(user=request.user), pk=pk)
    if not item.report:
        raise Http404
    return FileResponse(
        item.report.open("rb"), content_type="application/pdf", filename=f"{item.application.reference}-appraisal.pdf"
    )
