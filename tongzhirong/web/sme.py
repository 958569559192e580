"""The SME portal: profile, IP assets and their valuation, matched products, applying, following the
application and the loan. Every change goes through the same services as the API."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from scoring.models import ApplicationScore
from scoring.selectors import latest_score, latest_valuations
from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.assets.selectors import ip_asset_list
from tongzhirong.core.errors import RowsRejected
from tongzhirong.core.identifiers import IdentifierError, normalise_uscc
from tongzhirong.core.tabular import TabularError, read_table
from tongzhirong.enterprises.services import enterprise_create, enterprise_update
from tongzhirong.facts.models import ReceiptStatus
from tongzhirong.facts.selectors import credit_authorisation_list, fact_list, facts_of
from tongzhirong.facts.services import credit_authorisation_revoke, credit_authorisation_sign, fact_dispute_open
from tongzhirong.financing import services
from tongzhirong.financing.documents import application_document_add, application_document_checklist
from tongzhirong.financing.fee_receipts import fee_receipt_list, fee_receipt_upload, pledgee_bank_ids
from tongzhirong.financing.filing import application_filings, filing_package_sign
from tongzhirong.financing.models import Application, ApplicationStatus
from tongzhirong.financing.selectors import application_list, loan_list
from tongzhirong.lending.applications import application_decline_offer, application_submit, application_withdraw
from tongzhirong.lending.assets import ip_asset_register, ip_assets_import
from tongzhirong.lending.matching import products_match
from tongzhirong.lending.timeline import application_timeline
from tongzhirong.monitoring.models import FlagKind, FlagStatus
from tongzhirong.monitoring.selectors import collateral_flag_list
from tongzhirong.monitoring.services import FEE_WARNING_DAYS
from tongzhirong.products.selectors import loan_product_list
from tongzhirong.risksharing.selectors import auction_listing_list, disposal_case_list
from tongzhirong.risksharing.services import auction_bid

from . import forms
from .pages import attempt, for_kinds, page, posted

sme_only = for_kinds(OrganisationKind.SME)


def _enterprise(request):
    return getattr(request.user.organisation, "enterprise", None)


@sme_only
def overview(request):
    enterprise = _enterprise(request)
    if enterprise is None:
        return redirect("web:sme-profile")
    applications = application_list(user=request.user).order_by("-created_at")[:20]
    latest_band = {
        s.application_id: s.band
        for s in ApplicationScore.objects.filter(application__in=[a.pk for a in applications]).order_by("created_at")
    }
    return page(
        request,
        "web/sme/overview.html",
        {
            "enterprise": enterprise,
            "assets": ip_asset_list(user=request.user).order_by("ip_type", "identifier"),
            "applications": [(a, latest_band.get(a.pk)) for a in applications],
            "loans": loan_list(user=request.user).order_by("-disbursed_at"),
        },
    )


@sme_only
def profile(request):
    """The profile the SME declares, and beside it what the sources say: each fact with its source, reference
    and time, the SME's declaration where it differs, a dispute form; the credit-check authorisations it signed."""
    enterprise = _enterprise(request)
    creating = enterprise is None
    action = request.POST.get("action", "profile") if request.method == "POST" else ""
    form = forms.EnterpriseForm(request.POST if action == "profile" else None, instance=enterprise, creating=creating)
    dispute_form = forms.DisputeForm(request.POST if action == "dispute" else None, prefix="dispute")
    authorise_form = forms.CreditAuthorisationForm(request.POST if action == "authorise" else None, prefix="authorise")
    if action == "profile" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.fields if name != "uscc"}
        if creating:
            done = attempt(
                request,
                lambda: enterprise_create(
                    actor=request.user, organisation=request.user.organisation, uscc=form.cleaned_data["uscc"], **fields
                ),
                form,
            )
        else:
            done = attempt(
                request, lambda: enterprise_update(enterprise=enterprise, actor=request.user, **fields), form
            )
        if done:
            messages.success(request, _("The enterprise profile is saved."))
            return redirect("web:sme")
    elif action == "dispute" and not creating and dispute_form.is_valid():
        fact = posted(request, fact_list(user=request.user), "fact")
        reason = dispute_form.cleaned_data["reason"]
        if attempt(request, lambda: fact_dispute_open(actor=request.user, fact=fact, reason=reason), dispute_form):
            messages.success(request, _("Your dispute is recorded; the bank sees it and the platform will resolve it."))
            return redirect("web:sme-profile")
    elif action == "authorise" and not creating and authorise_form.is_valid():
        if attempt(
            request,
            lambda: credit_authorisation_sign(actor=request.user, enterprise=enterprise, **authorise_form.cleaned_data),
            authorise_form,
        ):
            messages.success(request, _("The credit-check authorisation is signed."))
            return redirect("web:sme-profile")
    elif action == "revoke" and not creating:
        authorisation = posted(request, credit_authorisation_list(user=request.user), "authorisation")
        if attempt(request, lambda: credit_authorisation_revoke(actor=request.user, authorisation=authorisation)):
            messages.success(request, _("The credit-check authorisation is revoked."))
            return redirect("web:sme-profile")
    context = {"form": form, "creating": creating}
    if not creating:
        context |= {
            "facts": facts_of(enterprise),
            "dispute_form": dispute_form,
            "authorise_form": authorise_form,
            "authorisations": credit_authorisation_list(user=request.user).order_by("-signed_at"),
            "today": timezone.localdate(),
        }
    return page(request, "web/sme/profile.html", context)


@sme_only
def check_uscc(request):
    """Checked as the person types (htmx): the GB 32100 check character and the format."""
    value = request.POST.get("uscc", "")
    if not value:
        return HttpResponse("")
    try:
        normalised = normalise_uscc(value)
    except IdentifierError as exc:
        return HttpResponse(f'<small class="errorlist" role="alert">{escape(exc)}</small>')
    return HttpResponse(f'<small class="badge ok">✓ {escape(normalised)}</small>')


@sme_only
def assets(request):
    enterprise = _enterprise(request)
    if enterprise is None:
        return redirect("web:sme-profile")
    form = forms.AssetForm(request.POST or None, prefix="asset")
    if request.method == "POST" and form.is_valid():
        created = {}

        def register():
            created["asset"] = ip_asset_register(actor=request.user, owner=enterprise, **form.cleaned_data)

        if attempt(request, register, form):
            messages.success(request, _("%(identifier)s is registered.") % {"identifier": created["asset"].identifier})
            return redirect("web:sme-asset", pk=created["asset"].pk)
    return page(
        request,
        "web/sme/assets.html",
        {
            "form": form,
            "import_form": forms.ImportForm(),
            "assets": ip_asset_list(user=request.user).order_by("ip_type", "identifier"),
        },
    )


@sme_only
def assets_import(request):
    enterprise = _enterprise(request)
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    problems = []
    if request.method == "POST" and form.is_valid() and enterprise is not None:
        upload = form.cleaned_data["file"]
        try:
            rows = read_table(upload, name=upload.name)
            result = ip_assets_import(actor=request.user, owner=enterprise, rows=rows)
        except TabularError as exc:
            form.add_error("file", str(exc))
        except RowsRejected as exc:
            problems = exc.rows
        else:
            messages.success(request, _("%(count)s assets imported.") % {"count": len(result.created)})
            return redirect("web:sme-assets")
    return page(request, "web/sme/import.html", {"import_form": form, "problems": problems})


@sme_only
def asset(request, pk: int):
    item = get_object_or_404(ip_asset_list(user=request.user), pk=pk)
    receipt_form = forms.FeeReceiptForm(prefix="receipt")
    if request.method == "POST":
        if request.POST.get("action") != "fee-receipt":
            raise Http404
        receipt_form = forms.FeeReceiptForm(request.POST, request.FILES, prefix="receipt")
        if receipt_form.is_valid() and attempt(
            request,
            lambda: fee_receipt_upload(
                actor=request.user,
                asset=item,
                paid_through=receipt_form.cleaned_data["paid_through"],
                upload=receipt_form.cleaned_data["file"],
            ),
            receipt_form,
        ):
            messages.success(request, str(RECEIPT_UPLOADED))
            return redirect("web:sme-asset", pk=pk)
    context = {"asset": item} | fee_context(request.user, item, receipt_form)
    valuation = latest_valuations([item.pk]).get(item.pk)  # valued after each change and nightly
    if valuation is None:
        return page(request, "web/sme/asset.html", context)
    scores = valuation.sub_scores or {}
    bars = [
        {"label": label, "score": round(scores[name]["score"]), "factors": scores[name]["factors"]}
        for name, label in SUB_SCORES
        if name in scores
    ]
    flags = [HIGH_VALUE_FLAGS.get(name, name) for name, on in (valuation.high_value_flags or {}).items() if on]
    context |= {"valuation": valuation, "bars": bars, "flags": flags}
    return page(request, "web/sme/asset.html", context)


RECEIPT_UPLOADED = gettext_lazy(
    "Receipt uploaded: the bank holding the pledge checks it. Once it confirms, the asset's fee date is updated "
    "and the fee reminder on the loan clears; if it rejects the receipt, you are told why."
)


def fee_state(asset) -> str:
    """Where a patent's annual fee stands, as the collateral monitor judges it: unknown, overdue, due soon, paid."""
    paid = asset.annual_fee_paid_through
    if paid is None:
        return "unknown"
    today = timezone.localdate()
    if paid < today:
        return "overdue"
    return "due" if paid <= today + timedelta(days=FEE_WARNING_DAYS) else "paid"


def fee_context(user, asset, receipt_form) -> dict:
    """A pledged patent's annual fee: its state, the monitor's open fee flags, the receipts uploaded for it, and
    the upload form when the fee needs attention (unknown, overdue, due soon, or flagged)."""
    if not asset.is_patent or not pledgee_bank_ids(asset):
        return {}
    flags = list(
        collateral_flag_list(user=user)
        .filter(asset=asset, status=FlagStatus.OPEN, kind__in=FEE_FLAGS)
        .order_by("detected_on", "pk")
    )
    state = fee_state(asset)
    receipts = list(fee_receipt_list(user=user).filter(asset=asset).order_by("-created_at", "-pk")[:10])
    return {
        "fee": {
            "state": state,
            "flags": flags,
            "receipts": receipts,
            "pending": any(r.status == ReceiptStatus.SUBMITTED for r in receipts),
            "form": receipt_form if (flags or state != "paid" or receipt_form.is_bound) else None,
        }
    }


FEE_FLAGS = (FlagKind.ANNUAL_FEE_OVERDUE, FlagKind.ANNUAL_FEE_DUE)


SUB_SCORES = (
    ("legal", gettext_lazy("Legal")),
    ("technical", gettext_lazy("Technical")),
    ("economic", gettext_lazy("Economic")),
)
HIGH_VALUE_FLAGS = {
    "strategic_emerging_industry": gettext_lazy("Strategic emerging industry"),
    "overseas_family_member": gettext_lazy("Filed overseas"),
    "maintained_over_10_years": gettext_lazy("Maintained over 10 years"),
    "high_pledge_amount": gettext_lazy("High pledge amount"),
    "national_award": gettext_lazy("National award"),
}


@sme_only
def matches(request):
    enterprise = _enterprise(request)
    if enterprise is None:
        return redirect("web:sme-profile")
    owned = ip_asset_list(user=request.user)
    form = forms.MatchForm(request.GET or None, assets=owned)
    found = excluded = None
    if request.GET and form.is_valid():
        found, excluded = products_match(
            enterprise=enterprise,
            assets=list(form.cleaned_data["assets"]),
            products=list(loan_product_list(user=request.user).filter(is_active=True)),
            amount=form.cleaned_data.get("amount"),
            term_months=form.cleaned_data["term_months"],
        )
    return page(request, "web/sme/matches.html", {"form": form, "matches": found, "excluded": excluded})


@sme_only
def apply(request):
    enterprise = _enterprise(request)
    if enterprise is None:
        return redirect("web:sme-profile")
    products = loan_product_list(user=request.user).filter(is_active=True)
    initial = {"product": request.GET.get("product"), "assets": request.GET.getlist("assets")}
    if request.GET.get("term_months"):  # the term matching judged the assets' eligibility on
        initial["term_months"] = request.GET["term_months"]
    form = forms.ApplyForm(
        request.POST or None, assets=ip_asset_list(user=request.user), products=products, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created = {}

        def create_and_submit():
            with transaction.atomic():
                created["application"] = services.application_create(
                    actor=request.user,
                    enterprise=enterprise,
                    product=data["product"],
                    assets=list(data["assets"]),
                    requested_amount=data["amount"],
                    requested_term_months=data["term_months"],
                    repayment_method=data["repayment_method"],
                    purpose=data["purpose"],
                    insurance_product=data["insurance_product"],
                    guarantee_product=data["guarantee_product"],
                )
                if "submit" in request.POST:
                    application_submit(actor=request.user, application=created["application"])

        if attempt(request, create_and_submit, form):
            messages.success(request, _("Application %(ref)s is saved.") % {"ref": created["application"].reference})
            return redirect("web:sme-application", pk=created["application"].pk)
    return page(request, "web/sme/apply.html", {"form": form})


SME_MOVES = {
    "submit": lambda user, app, data: application_submit(actor=user, application=app),
    "withdraw": lambda user, app, data: application_withdraw(actor=user, application=app),
    "accept-offer": lambda user, app, data: services.application_accept_offer(actor=user, application=app),
    "decline-offer": lambda user, app, data: application_decline_offer(actor=user, application=app),
    "respond": lambda user, app, data: services.application_respond(
        actor=user, application=app, comment=data.get("comment", "")
    ),
    "sign": lambda user, app, data: filing_package_sign(actor=user, application=app, sha256=data.get("sha256", "")),
}
# The moves that cannot be undone, confirmed on the page before they are made.
CONFIRMED_MOVES = frozenset({"withdraw", "decline-offer"})
# What each move did and what comes next.
SME_DONE = {
    "submit": gettext_lazy("Submitted: the bank reviews it now, and you are notified of each step."),
    "withdraw": gettext_lazy("Withdrawn: the application is closed and its assets are free to pledge again."),
    "accept-offer": gettext_lazy(
        "Offer accepted: the bank prepares the pledge filing package, which both of you sign before it is filed."
    ),
    "decline-offer": gettext_lazy("Offer declined: the application is closed."),
    "respond": gettext_lazy("Answer sent: the application is back with the bank for review."),
    "sign": gettext_lazy("Signed: the bank files the pledge once both parties have signed."),
}


@sme_only
def application(request, pk: int):
    item = get_object_or_404(application_list(user=request.user).prefetch_related("assets"), pk=pk)
    document_form = forms.DocumentForm()
    if request.method == "POST":
        move = request.POST.get("action")
        if move == "document":
            document_form = forms.DocumentForm(request.POST, request.FILES)
            if document_form.is_valid():
                data = document_form.cleaned_data
                if attempt(
                    request,
                    lambda: application_document_add(
                        actor=request.user, application=item, kind=data["kind"], upload=data["file"]
                    ),
                    document_form,
                ):
                    messages.success(request, _("The document is attached."))
                    return redirect("web:sme-application", pk=pk)
        elif move in SME_MOVES:
            if move in CONFIRMED_MOVES and request.POST.get("confirm") != "yes":
                # One click must not end an application (or give up an offer): the page asks first.
                messages.error(request, _("Tick the box to confirm: this cannot be undone."))
            elif attempt(request, lambda: SME_MOVES[move](request.user, item, request.POST)):
                messages.success(request, str(SME_DONE[move]))
            return redirect("web:sme-application", pk=pk)
        else:
            raise Http404
    return page(request, "web/sme/application.html", application_context(item) | {"document_form": document_form})


def application_context(item) -> dict:
    """What both sides see of one application: the score with reasons, the timeline, documents, and each
    registry's filing (package, signatures, registration)."""
    score = latest_score(item)
    documents = list(item.documents.select_related("uploaded_by__organisation"))
    return {
        "application": item,
        "score": score,
        "timeline": application_timeline(application=item),
        "documents": documents,
        "checklist": application_document_checklist(item, documents),
        "filings": application_filings(item),
        "can_withdraw": ApplicationStatus.WITHDRAWN in Application.TRANSITIONS[item.status],
        "S": ApplicationStatus,
    }


@sme_only
def loan(request, pk: int):
    item = get_object_or_404(loan_list(user=request.user).prefetch_related("repayments"), pk=pk)
    return page(
        request,
        "web/loan.html",
        {
            "loan": item,
            "bucket": services.delinquency_bucket(item.days_past_due),
            "cases": disposal_case_list(user=request.user).filter(loan=item).order_by("pk"),
        },
    )


@sme_only
def auctions(request):
    """Pledged IP other banks put up for auction, open to any enterprise on the platform: each running auction
    with its window, reserve, the highest bid and the caller's own, and a bid form. Bids are checked by the
    service (the window, the reserve, not on one's own loan's IP)."""
    running = auction_listing_list(user=request.user).order_by("pk")
    bid_form = forms.BidForm()
    if request.method == "POST":
        case = posted(request, running, "case")
        bid_form = forms.BidForm(request.POST)
        if bid_form.is_valid() and attempt(
            request, lambda: auction_bid(actor=request.user, case=case, **bid_form.cleaned_data), bid_form
        ):
            messages.success(request, _("Your bid of %(amount)s yuan is placed.") % bid_form.cleaned_data)
            return redirect("web:sme-auctions")
    rows, now = [], timezone.now()
    for case in running:
        auction = next((a for a in case.auctions.all() if a.closed_at is None), None)
        if auction is None or auction.closes_at <= now:  # past its time, waiting for the bank to close it
            continue
        bids = list(auction.bids.all())  # highest first (Bid's ordering)
        mine = [b for b in bids if b.bidder_id == request.user.organisation_id]
        rows.append({"case": case, "auction": auction, "bids": len(bids), "highest": bids[0] if bids else None,
                     "mine": mine[0] if mine else None})  # fmt: skip
    chosen = request.POST.get("case") if request.method == "POST" else None
    return page(request, "web/sme/auctions.html", {"rows": rows, "bid_form": bid_form, "chosen": chosen})
