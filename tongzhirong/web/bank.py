"""The bank workbench: the review queue, one application with its score, collateral and pre-check, the
decisions (maker-checker), the paperless pledge, disbursement, and the loan book."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from scoring.selectors import application_collateral, collateral_limit
from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.core.reference import Cluster, District
from tongzhirong.financing import services
from tongzhirong.financing.documents import application_document_add
from tongzhirong.financing.filing import (
    current_package,
    filing_package_generate,
    filing_package_sign,
    pledge_release_record,
)
from tongzhirong.financing.filters import ORDERINGS, QueueFilter
from tongzhirong.financing.models import Application, ApplicationStatus, RejectReason
from tongzhirong.financing.pledge import application_precheck
from tongzhirong.financing.selectors import STAGE_SLA_DAYS, loan_list
from tongzhirong.lending.applications import application_approve
from tongzhirong.lending.loans import application_disburse
from tongzhirong.lending.queue import application_queue
from tongzhirong.risksharing.selectors import disposal_case_list

from . import forms
from .pages import attempt, for_kinds, page, refused_filters
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
    return page(
        request,
        "web/bank/queue.html",
        {
            "page_obj": current,
            "statuses": ApplicationStatus.choices,
            "districts": District.choices,
            "clusters": Cluster.choices,
            "orderings": ORDERINGS,
            "selected": params.chosen(),  # empty when the filters were refused
            "sla": STAGE_SLA_DAYS,
        },
    )


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
        lambda u, a, d: services.application_confirm_approval(actor=u, application=a),
    ),
    "reject": (forms.RejectForm, lambda u, a, d: services.application_reject(actor=u, application=a, **d)),
    "package": (None, lambda u, a, d: filing_package_generate(actor=u, application=a)),
    "sign": (forms.SignForm, lambda u, a, d: filing_package_sign(actor=u, application=a, sha256=d["sha256"])),
    "file-pledge": (None, lambda u, a, d: services.pledge_registration_file(actor=u, application=a)),
    "record-registration": (
        forms.RegistrationForm,
        lambda u, a, d: services.pledge_registration_record(actor=u, application=a, **d),
    ),
    "record-release": (
        forms.ReleaseForm,
        lambda u, a, d: pledge_release_record(actor=u, application=a, released_on=d["released_on"]),
    ),
    "disburse": (
        forms.DisburseForm,
        lambda u, a, d: application_disburse(actor=u, application=a, contract_number=d["contract_number"]),
    ),
    "document": (
        forms.DocumentForm,
        lambda u, a, d: application_document_add(actor=u, application=a, kind=d["kind"], upload=d["file"]),
    ),
}


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
                messages.success(request, _("Done."))
                return redirect("web:bank-application", pk=pk)
        if form is not None:
            bound[name] = form
    collateral = application_collateral(item)
    limit = collateral_limit(collateral)
    context = application_context(item) | {
        "collateral": collateral,
        "limit": limit,
        "precheck": application_precheck(item),
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
        "registration_form": bound.get("record-registration") or forms.RegistrationForm(),
        "disburse_form": bound.get("disburse") or forms.DisburseForm(),
        "document_form": bound.get("document") or forms.DocumentForm(),
        "reasons": RejectReason.choices,
        "approval_pending": item.approval_proposed_by_id is not None and item.status == ApplicationStatus.UNDER_REVIEW,
        # The bank may reject at any stage before disbursement (the state machine says where).
        "can_reject": ApplicationStatus.REJECTED in Application.TRANSITIONS[item.status],
        "release_form": bound.get("record-release") or forms.ReleaseForm(),
    }
    return page(request, "web/bank/application.html", context)


@bank_side
def package_asset_list(request, pk: int):
    item = get_object_or_404(application_queue(user=request.user), pk=pk)
    package = current_package(item)
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


@bank_side
def loan(request, pk: int):
    item = get_object_or_404(loan_list(user=request.user).prefetch_related("repayments"), pk=pk)
    repayment_form, release_form = forms.RepaymentForm(), forms.ReleaseForm()
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "repay":
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
        },
    )
