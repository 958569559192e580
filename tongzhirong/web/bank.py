"""The bank workbench: the review queue, one application with its score, collateral and pre-check, the
decisions (maker-checker), the paperless pledge, disbursement, and the loan book."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from scoring.appraisals import OPEN_FOR_APPRAISAL, appraisal_firms, appraisal_list, appraisal_request
from scoring.selectors import application_collateral, collateral_limit
from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.core.errors import DomainError, NotFound
from tongzhirong.core.reference import RISK_BANDS, Cluster, District
from tongzhirong.facts.models import ReceiptStatus
from tongzhirong.financing import services
from tongzhirong.financing.documents import application_document_add
from tongzhirong.financing.fee_receipts import fee_receipt_list, fee_receipt_reject
from tongzhirong.financing.filing import (
    current_package,
    filing_package_sign,
    filing_packages_generate,
    pledge_release_record,
)
from tongzhirong.financing.filters import QueueFilter
from tongzhirong.financing.models import (
    OPEN_LOAN_STATUSES,
    Application,
    ApplicationAsset,
    ApplicationStatus,
    RejectReason,
)
from tongzhirong.financing.pledge import CONFIRM, FAIL, application_precheck
from tongzhirong.financing.selectors import STAGE_SLA_DAYS, loan_list, loan_repayment
from tongzhirong.financing.services.applications import application_bank_abilities
from tongzhirong.lending.applications import application_approve, application_confirm_approval, application_reject
from tongzhirong.lending.fee_receipts import fee_receipt_confirm
from tongzhirong.lending.loans import application_disburse
from tongzhirong.lending.queue import application_queue
from tongzhirong.monitoring.models import FlagStatus
from tongzhirong.monitoring.selectors import collateral_flag_list
from tongzhirong.risksharing.selectors import disposal_case_list

from . import forms
from .pages import attempt, for_kinds, page, posted, refused_filters
from .sme import application_context

bank_side = for_kinds(OrganisationKind.BANK, OrganisationKind.PLATFORM)


@bank_side
def queue(request):
    # The queue's one filter definition, so that the page and GET /api/v1/applications/ accept and refuse the same
    # values. Where the API answers 400, the page says what is wrong (by the filters' labels) and shows the whole queue.
    params = QueueFilter(request.GET)
    filters = params.queue_filters()
    if not params.is_valid():
        refused_filters(
            request, params.errors, params.labels(), _("Some filters are not valid, so the whole queue is shown.")
        )
    # Count and cut on the narrow query, then read the page's 25 applications (see application_queue_page).
    pages = Paginator(application_queue(user=request.user, filters=filters).values_list("pk", flat=True), 25)
    current = pages.get_page(request.GET.get("page"))
    ids = list(current.object_list)
    found = application_queue(user=request.user).in_bulk(ids)
    current.object_list = [found[pk] for pk in ids]
    selected = params.chosen()  # empty when the filters were refused
    return page(
        request,
        "web/bank/queue.html",
        {
            "page_obj": current,
            "statuses": ApplicationStatus.choices,
            "bands": RISK_BANDS,
            "districts": District.choices,
            "clusters": Cluster.choices,
            "selected": selected,
            # The filters beyond the search fold away unless one is in use, so the queue starts on the first screen.
            "narrowed": any(value not in ("", []) for name, value in selected.items() if name not in ("q", "ordering")),
            "columns": sortable_columns(request, selected.get("ordering", "")),
            # What waits for someone, whatever the filters: the chips above the list link to it.
            "awaiting_checker": application_queue(user=request.user, filters={"awaiting_checker": True}).count(),
            "breached": application_queue(user=request.user, filters={"sla_breached": True}).count(),
            "sla": STAGE_SLA_DAYS,
        },
    )


# The queue's columns a reviewer sorts by, with the ordering each stands for (QueueFilter's values).
SORTABLE = {"amount": "requested_amount", "band": "pd", "stage": "stage_entered_at", "submitted": "submitted_at"}


def sortable_columns(request, ordering: str) -> dict:
    """For each sortable column: the link that sorts by it (descending first, then the other way when it is the
    current order), and ``aria-sort`` for the column the list is sorted by. The other filters are kept."""
    columns = {}
    for name, field in SORTABLE.items():
        query = request.GET.copy()
        query.pop("page", None)
        current = ordering.lstrip("-") == field
        descending = ordering.startswith("-")
        query["ordering"] = field if current and descending else f"-{field}"
        sort = ("descending" if descending else "ascending") if current else ""
        columns[name] = {"url": f"?{query.urlencode()}", "sort": sort}
    return columns


# The bank's actions on one application: (form class or None, service call).
BANK_MOVES = {
    "start-review": (None, lambda u, a, d: services.application_start_review(actor=u, application=a)),
    "request-info": (
        forms.CommentForm,
        lambda u, a, d: services.application_request_info(actor=u, application=a, comment=d["comment"]),
    ),
    "approve": (forms.ApproveForm, lambda u, a, d: application_approve(actor=u, application=a, **d)),
    "confirm": (
        None,
        lambda u, a, d: application_confirm_approval(actor=u, application=a),
    ),
    "reject": (forms.RejectForm, lambda u, a, d: application_reject(actor=u, application=a, **d)),
    "package": (None, lambda u, a, d: filing_packages_generate(actor=u, application=a)),
    "sign": (forms.SignForm, lambda u, a, d: filing_package_sign(actor=u, application=a, sha256=d["sha256"])),
    "file-pledge": (None, lambda u, a, d: services.pledge_registration_file(actor=u, application=a)),
    "record-registration": (
        forms.RegistrationForm,
        lambda u, a, d: services.pledge_registration_record(actor=u, application=a, **d),
    ),
    "record-release": (
        forms.ReleaseForm,
        lambda u, a, d: pledge_release_record(actor=u, application=a, **d),
    ),
    "disburse": (
        forms.DisburseForm,
        lambda u, a, d: application_disburse(actor=u, application=a, contract_number=d["contract_number"]),
    ),
    "document": (
        forms.DocumentForm,
        lambda u, a, d: application_document_add(actor=u, application=a, kind=d["kind"], upload=d["file"]),
    ),
    "engage-appraiser": (
        partial(forms.EngageAppraiserForm, firms=appraisal_firms()),
        lambda u, a, d: appraisal_request(actor=u, application=a, appraiser=d["appraiser"]),
    ),
}


# What each move did and what comes next.
BANK_DONE = {
    "start-review": gettext_lazy("Review started: approve with terms, ask for information or reject."),
    "request-info": gettext_lazy("Request sent: the applicant answers, and the application comes back to review."),
    "approve": gettext_lazy("Approved: the applicant is notified and accepts or declines the offer."),
    "confirm": gettext_lazy("Approval confirmed: the applicant is notified and accepts or declines the offer."),
    "reject": gettext_lazy("Rejected: the applicant is notified with the reason."),
    "package": gettext_lazy("Filing package ready: both parties sign it, then file the pledge."),
    "sign": gettext_lazy("Signed as pledgee: file the pledge once the pledgor has signed."),
    "file-pledge": gettext_lazy("Pledge filed: record the registration notice when it arrives."),
    "record-registration": gettext_lazy("Registration recorded: the loan can be disbursed."),
    "record-release": gettext_lazy("Release recorded: the right is free again."),
    "disburse": gettext_lazy("Disbursed: the loan and its repayment schedule are on the loan book."),
    "document": gettext_lazy("The document is attached."),
    "engage-appraiser": gettext_lazy("Appraiser engaged: the firm is notified and files its report here."),
}


def collateral_range(collateral) -> dict | None:
    """The model's P10, P50 and P90 summed over the pledged assets, to set a formal appraisal beside; None until
    every asset is valued."""
    valuations = [c["valuation"] for c in collateral]
    if not valuations or any(v is None for v in valuations):
        return None
    return {q: sum((getattr(v, q) for v in valuations), Decimal(0)) for q in ("p10", "p50", "p90")}


@bank_side
def application(request, pk: int):
    item = get_object_or_404(application_queue(user=request.user), pk=pk)
    bound = {}
    if request.method == "POST":
        name = request.POST.get("action")
        if name not in BANK_MOVES:
            raise Http404
        form_class, call = BANK_MOVES[name]
        form = form_class(request.POST, request.FILES) if form_class else None
        if form is None or form.is_valid():
            data = form.cleaned_data if form else {}
            if attempt(request, lambda: call(request.user, item, data), form):
                item.refresh_from_db()
                done = BANK_DONE[name]
                if name == "approve" and item.awaiting_checker:
                    done = gettext_lazy("Terms proposed: the bank's checkers are notified and one of them confirms.")
                if name == "record-registration" and item.status != ApplicationStatus.REGISTERED:
                    done = gettext_lazy("Registration recorded: record the other registry's notice when it arrives.")
                messages.success(request, str(done))
                return redirect("web:bank-application", pk=pk)
        if form is not None:
            bound[name] = form
    collateral = application_collateral(item)
    limit = collateral_limit(collateral)
    precheck = application_precheck(item)
    common = application_context(item)
    # One form at a time for a mixed portfolio's filings: the next notice to record, the next release.
    filings = common["filings"]
    awaiting_notice = next((f for f in filings if f.registration and not f.registration.registered_on), None)
    awaiting_release = next(
        (f for f in filings if (r := f.registration) and r.release_generated_at and not r.released_on), None
    )
    context = common | {
        "collateral": collateral,
        "limit": limit,
        "precheck": precheck,
        "precheck_findings": precheck_findings(precheck),
        "over_limit": limit is not None and item.requested_amount > limit,
        "can": dict.fromkeys(application_bank_abilities(actor=request.user, application=item), True),
        "approve_form": bound.get("approve")
        or forms.ApproveForm(
            initial={
                "amount": min(item.requested_amount, limit) if limit else item.requested_amount,
                "rate": item.product.min_rate,
                "term_months": item.requested_term_months,
            }
        ),
        "reject_form": bound.get("reject") or forms.RejectForm(),
        "info_form": bound.get("request-info") or forms.CommentForm(),
        "awaiting_notice": awaiting_notice,
        "registration_form": bound.get("record-registration")
        or forms.RegistrationForm(initial={"registry": awaiting_notice.registry if awaiting_notice else ""}),
        "disburse_form": bound.get("disburse") or forms.DisburseForm(),
        "document_form": bound.get("document") or forms.DocumentForm(),
        "reasons": RejectReason.choices,
        "approval_pending": item.awaiting_checker,
        # The bank may reject at any stage before disbursement (the state machine says where).
        "can_reject": ApplicationStatus.REJECTED in Application.TRANSITIONS[item.status],
        "awaiting_release": awaiting_release,
        "release_form": bound.get("record-release")
        or forms.ReleaseForm(initial={"registry": awaiting_release.registry if awaiting_release else ""}),
        "appraisals": appraisal_list(user=request.user).filter(application=item),
        "appraiser_form": bound.get("engage-appraiser") or forms.EngageAppraiserForm(firms=appraisal_firms()),
        "model_range": collateral_range(collateral),
        "appraisal_open": OPEN_FOR_APPRAISAL,
    }
    return page(request, "web/bank/application.html", context)


# The order a reviewer reads the pre-check in: what stops the filing, then what needs the parties' confirmation.
FINDING_ORDER = {FAIL: 0, CONFIRM: 1}


def precheck_findings(precheck: dict) -> list[dict]:
    """The pre-check's grounds that did not pass, failures first, each with its asset's identifier."""
    found = [
        {"identifier": asset["identifier"], **check}
        for asset in precheck["assets"]
        for check in asset["checks"]
        if check["result"] in FINDING_ORDER
    ]
    return sorted(found, key=lambda f: (FINDING_ORDER[f["result"]], f["ground"]))


@bank_side
def package_asset_list(request, pk: int):
    item = get_object_or_404(application_queue(user=request.user), pk=pk)
    try:
        package = current_package(item, request.GET.get("registry") or None)
    except DomainError:
        raise Http404 from None
    if package.asset_list_xlsx is None:
        raise Http404
    response = HttpResponse(
        bytes(package.asset_list_xlsx),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{item.reference}-v{package.version}.xlsx"'
    return response


BUCKETS = {b[0]: services.delinquency_bucket_filter(b[0]) for b in services.DELINQUENCY_BUCKETS}


@bank_side
def loans(request):
    book = loan_list(user=request.user)
    counts = book.aggregate(**{name: Count("id", filter=q) for name, q in BUCKETS.items()})
    chosen = request.GET.get("bucket")
    if chosen in BUCKETS:
        book = book.filter(BUCKETS[chosen])
    pages = Paginator(book.order_by("-disbursed_at", "-id"), 25)
    return page(
        request,
        "web/bank/loans.html",
        {"page_obj": pages.get_page(request.GET.get("page")), "counts": counts, "chosen": chosen},
    )


def _reversible(user, loan, repayments) -> list:
    """The repayments this person may be offered to reverse: the lending bank's checker or manager, an open loan,
    a repayment neither reversed nor itself a reversal, recorded by someone else (the service decides again)."""
    if user.role not in services.REVERSING_ROLES or loan.status not in OPEN_LOAN_STATUSES:
        return []
    reversed_ids = {r.reverses_id for r in repayments if r.reverses_id is not None}
    return [r for r in repayments if r.reverses_id is None and r.pk not in reversed_ids and r.recorded_by_id != user.pk]


def _posted_repayment(loan, value):
    """The repayment a reversal form names, of this loan only."""
    try:
        return loan_repayment(loan=loan, repayment_id=int(value)) if (value or "").isdigit() else None
    except NotFound:
        return None


@bank_side
def loan(request, pk: int):
    item = get_object_or_404(loan_list(user=request.user).prefetch_related("repayments"), pk=pk)
    pending_releases = [
        r for r in item.application.pledge_registrations.all() if r.release_generated_at and not r.released_on
    ]
    repayment_form = forms.RepaymentForm()
    release_form = forms.ReleaseForm(initial={"registry": pending_releases[0].registry if pending_releases else ""})
    repayments = list(item.repayments.all())
    reversible = _reversible(request.user, item, repayments)
    reverse_forms = {r.pk: forms.RepaymentReverseForm(prefix=f"reverse-{r.pk}") for r in reversible}
    receipts = list(_loan_receipts(request.user, item).order_by("-created_at", "-pk"))
    reject_forms = {
        r.pk: forms.FeeReceiptRejectForm(prefix=f"receipt-{r.pk}")
        for r in receipts
        if r.status == ReceiptStatus.SUBMITTED
    }
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "reverse":
            repayment = _posted_repayment(item, request.POST.get("repayment"))
            if repayment is None:
                raise Http404
            form = reverse_forms[repayment.pk] = forms.RepaymentReverseForm(
                request.POST, prefix=f"reverse-{repayment.pk}"
            )
            if form.is_valid() and attempt(
                request,
                lambda: services.repayment_reverse(
                    actor=request.user, repayment=repayment, reason=form.cleaned_data["reason"]
                ),
                form,
            ):
                messages.success(request, _("The repayment is reversed."))
                return redirect("web:bank-loan", pk=pk)
        elif action == "repay":
            repayment_form = forms.RepaymentForm(request.POST)
            if repayment_form.is_valid() and attempt(
                request,
                lambda: services.repayment_record(actor=request.user, loan=item, **repayment_form.cleaned_data),
                repayment_form,
            ):
                messages.success(request, _("The repayment is recorded."))
                return redirect("web:bank-loan", pk=pk)
        elif action == "payoff":
            if attempt(request, lambda: services.loan_pay_off(actor=request.user, loan=item)):
                messages.success(request, _("The loan is paid off."))
                return redirect("web:bank-loan", pk=pk)
        elif action in RECEIPT_MOVES:
            receipt = posted(request, _loan_receipts(request.user, item), "receipt")
            form = reject_forms[receipt.pk] = forms.FeeReceiptRejectForm(
                request.POST if action == "reject-receipt" else None, prefix=f"receipt-{receipt.pk}"
            )
            if request.POST.get("confirm") != "yes":
                # A decision on a receipt cannot be taken back: the page asks first.
                messages.error(request, _("Tick the box to confirm: this cannot be undone."))
                return redirect("web:bank-loan", pk=pk)
            if (action == "confirm-receipt" or form.is_valid()) and attempt(
                request, lambda: RECEIPT_MOVES[action](request.user, receipt, form), form
            ):
                messages.success(request, str(RECEIPT_DONE[action]))
                return redirect("web:bank-loan", pk=pk)
        elif action == "release":
            release_form = forms.ReleaseForm(request.POST)
            if release_form.is_valid() and attempt(
                request,
                lambda: pledge_release_record(actor=request.user, loan=item, **release_form.cleaned_data),
                release_form,
            ):
                messages.success(request, _("The release is recorded."))
                return redirect("web:bank-loan", pk=pk)
        else:
            raise Http404
    quote = services.loan_payoff_quote(loan=item) if item.status in ("active", "overdue", "defaulted") else None
    return page(
        request,
        "web/loan.html",
        {
            "loan": item,
            "bucket": services.delinquency_bucket(item.days_past_due),
            "bank_view": True,
            "quote": quote,
            "cases": disposal_case_list(user=request.user).filter(loan=item).order_by("pk"),
            "repayment_form": repayment_form,
            "release_form": release_form,
            "pending_release": pending_releases[0] if pending_releases else None,
            "repayment_rows": [(r, reverse_forms.get(r.pk)) for r in repayments],
            "collateral_flags": collateral_flag_list(user=request.user)
            .filter(loan=item, status=FlagStatus.OPEN)
            .order_by("detected_on", "pk"),
            # Only the bank's own people decide; the platform reads along.
            "receipt_rows": [
                (r, reject_forms.get(r.pk) if request.user.kind == OrganisationKind.BANK else None) for r in receipts
            ],
        },
    )


def _loan_receipts(user, loan):
    """The fee receipts of the assets this loan's pledge holds, as far as the caller may see them."""
    return fee_receipt_list(user=user).filter(
        asset_id__in=ApplicationAsset.objects.filter(application_id=loan.application_id).values("asset_id")
    )


RECEIPT_MOVES = {
    "confirm-receipt": lambda user, receipt, form: fee_receipt_confirm(actor=user, receipt=receipt),
    "reject-receipt": lambda user, receipt, form: fee_receipt_reject(
        actor=user, receipt=receipt, reason=form.cleaned_data["reason"]
    ),
}
RECEIPT_DONE = {
    "confirm-receipt": gettext_lazy(
        "Receipt confirmed: the asset's annual fee date is updated from it and the collateral monitor has "
        "re-checked the loan; the fee flag is cleared if the new date covers it."
    ),
    "reject-receipt": gettext_lazy(
        "Receipt rejected: the enterprise is shown your reason and can upload a correct receipt."
    ),
}
