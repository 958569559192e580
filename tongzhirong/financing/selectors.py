import datetime as dt
import statistics
from collections import defaultdict

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    BooleanField,
    Case,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.core.models import StatusChange
from tongzhirong.core.state import history

from .models import Application, ApplicationAsset, ApplicationStatus, Loan


def application_list(*, user) -> QuerySet[Application]:
    """The applicant sees its own applications, a bank those made on its products, the platform all."""
    qs = Application.objects.select_related("enterprise", "product", "product__bank")
    if user.is_superuser or user.kind == OrganisationKind.PLATFORM:
        return qs
    if user.kind == OrganisationKind.SME:
        return qs.filter(enterprise__organisation_id=user.organisation_id)
    if user.kind == OrganisationKind.BANK:
        # A draft is the applicant's own until submitted, and stays so if withdrawn before submission.
        return (
            qs.filter(product__bank_id=user.organisation_id)
            .exclude(status=ApplicationStatus.DRAFT)
            .exclude(status=ApplicationStatus.WITHDRAWN, submitted_at__isnull=True)
        )
    return qs.none()


# Service-level targets per stage (days in the stage before it counts as a breach).
STAGE_SLA_DAYS = {
    ApplicationStatus.SUBMITTED: 2,
    ApplicationStatus.UNDER_REVIEW: 5,
    ApplicationStatus.INFO_REQUESTED: 10,
    ApplicationStatus.APPROVED: 10,
    ApplicationStatus.OFFER_ACCEPTED: 5,
    ApplicationStatus.PLEDGE_REGISTRATION: 7,
    ApplicationStatus.REGISTERED: 3,
}


def application_queue(*, user, filters: dict | None = None) -> QuerySet[Application]:
    """The scoped list with what a reviewer sorts by: latest band and PD, when the current stage began,
    and whether its service level is breached — all computed in the database."""
    from scoring.models import ApplicationScore

    filters = filters or {}
    latest_score = ApplicationScore.objects.filter(application=OuterRef("pk")).order_by("-created_at", "-id")
    stage_entered = (
        StatusChange.objects.filter(
            content_type=ContentType.objects.get_for_model(Application), object_id=OuterRef("pk")
        )
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )
    now = timezone.now()
    # The stage start is compared once, with its status's cutoff (NULL, hence not breached, for a status
    # without a target): ORing one comparison per status put the StatusChange subquery in the SQL seven
    # more times, and a filter on the flag ran them for every candidate row (bench/bench_queue.py).
    sla_cutoff = Case(
        *(When(status=status, then=Value(now - dt.timedelta(days=days))) for status, days in STAGE_SLA_DAYS.items())
    )
    breached = ExpressionWrapper(Q(stage_entered_at__lt=sla_cutoff), output_field=BooleanField())
    qs = (
        application_list(user=user)
        .annotate(
            band=Subquery(latest_score.values("band")[:1]),
            pd=Subquery(latest_score.values("pd")[:1]),
            stage_entered_at=Coalesce(Subquery(stage_entered), F("created_at")),
        )
        .annotate(sla_breached=Coalesce(breached, Value(False)))
    )
    exact = {
        "status": "status__in",
        "band": "band__in",
        "district": "enterprise__district__in",
        "cluster": "enterprise__cluster__in",
        "product": "product_id",
    }
    for key, lookup in exact.items():
        value = filters.get(key)
        if value:
            qs = qs.filter(**{lookup: value})
    if filters.get("min_amount") is not None:
        qs = qs.filter(requested_amount__gte=filters["min_amount"])
    if filters.get("max_amount") is not None:
        qs = qs.filter(requested_amount__lte=filters["max_amount"])
    if filters.get("min_days_in_stage") is not None:
        qs = qs.filter(stage_entered_at__lte=now - dt.timedelta(days=filters["min_days_in_stage"]))
    if filters.get("sla_breached") is not None:
        if filters["sla_breached"]:
            # Only a status with a target can be breached: the stage is then looked up for those rows alone.
            qs = qs.filter(status__in=list(STAGE_SLA_DAYS))
        qs = qs.filter(sla_breached=filters["sla_breached"])
    return qs.order_by(*(filters.get("ordering") or ["-created_at"]), "-id")


# A queue row as the API and the bank's pages show it: output name → column (the annotations keep their names).
QUEUE_ROW = {
    "id": "id", "reference": "reference", "status": "status",
    "enterprise": "enterprise__legal_name", "district": "enterprise__district", "cluster": "enterprise__cluster",
    "product": "product_id", "product_name": "product__name", "bank": "product__bank__name",
    "requested_amount": "requested_amount", "requested_term_months": "requested_term_months",
    "repayment_method": "repayment_method", "purpose": "purpose",
    "insurance_product": "insurance_product_id", "guarantee_product": "guarantee_product_id",
    "approved_amount": "approved_amount", "approved_rate": "approved_rate",
    "approved_term_months": "approved_term_months", "approval_proposed_by": "approval_proposed_by_id",
    "reject_reason_code": "reject_reason_code", "decision_comment": "decision_comment",
    "created_at": "created_at", "submitted_at": "submitted_at", "decided_at": "decided_at",
}  # fmt: skip
QUEUE_ANNOTATIONS = ("band", "pd", "stage_entered_at", "sla_breached")


def application_queue_page(*, queue: QuerySet[Application], ids: list[int]) -> list[dict]:
    """The rows of ``queue`` (an ``application_queue``) for one page of its ids, in the order given, as plain
    rows (``QUEUE_ROW`` and ``QUEUE_ANNOTATIONS``, with ``assets``: the pledged assets' id, type, identifier and
    title).

    A list cuts the queue on its narrow query first (``queue.values_list("pk")``: the count and the page's ids,
    with the latest score and the stage start computed only where a filter or the order needs them), then reads
    the wide rows for the page alone: one query for the rows and one for their assets. As one query, SQLite
    computed every selected column of every candidate before the LIMIT, and model instances of four tables cost
    more than the SQL (bench/bench_queue.py)."""
    if not ids:
        return []
    position = {pk: i for i, pk in enumerate(ids)}
    columns = (*QUEUE_ROW.items(), *((name, name) for name in QUEUE_ANNOTATIONS))
    found = queue.filter(pk__in=ids).order_by().values_list(*(c for _, c in columns))
    rows = sorted(
        ({name: value for (name, _), value in zip(columns, row, strict=True)} for row in found),
        key=lambda row: position[row["id"]],
    )
    assets = defaultdict(list)
    pledged = (
        ApplicationAsset.objects.filter(application_id__in=position)
        .order_by("-asset__created_at", "-asset__id")  # IPAsset's own order
        .values_list("application_id", "asset_id", "asset__ip_type", "asset__identifier", "asset__title")
    )
    for application_id, *asset in pledged:
        assets[application_id].append(dict(zip(("id", "ip_type", "identifier", "title"), asset, strict=True)))
    for row in rows:
        row["assets"] = assets[row["id"]]
    return rows


def application_timeline(*, application: Application):
    return history(application).select_related("actor__organisation")


def loan_list(*, user) -> QuerySet[Loan]:
    """The borrower sees its loans, the lending bank its book, the platform all."""
    qs = Loan.objects.select_related("borrower", "bank", "application__pledge_registration").prefetch_related(
        "schedule",
        "collateral_flags",  # the collateral health shown with each loan
    )
    if user.is_superuser or user.kind == OrganisationKind.PLATFORM:
        return qs
    if user.kind == OrganisationKind.SME:
        return qs.filter(borrower__organisation_id=user.organisation_id)
    if user.kind == OrganisationKind.BANK:
        return qs.filter(bank_id=user.organisation_id)
    return qs.none()


def timeline_with_durations(changes) -> list[StatusChange]:
    """Each status change with ``days_in_stage``: how long the application stayed in the status it entered
    (until the next change, or until now for the current one)."""
    entries = list(changes)
    ends = [e.created_at for e in entries[1:]] + [timezone.now()]
    for entry, end in zip(entries, ends, strict=False):  # no entries, no durations
        entry.days_in_stage = round((end - entry.created_at).total_seconds() / 86400, 2)
    return entries


def stage_times_by_bank(*, user, days: int = 90) -> list[dict]:
    """Time spent in each stage per bank over the last ``days``: stages left in the window (count, median and
    90th-percentile days) and stages still open (count, how many past their service level). A bank sees its
    own; the platform every bank. Two queries; the durations are paired in Python because consecutive rows of
    a generic audit table do not aggregate portably in SQL."""
    now = timezone.now()
    since = now - dt.timedelta(days=days)
    banks = dict(application_list(user=user).values_list("pk", "product__bank__name"))
    changes = (
        StatusChange.objects.filter(
            content_type=ContentType.objects.get_for_model(Application),
            object_id__in=application_list(user=user).values("pk"),
        )
        .order_by("object_id", "created_at", "id")
        .values_list("object_id", "to_status", "created_at")
    )
    closed: dict[tuple[str, str], list[float]] = defaultdict(list)
    open_: dict[tuple[str, str], list[float]] = defaultdict(list)
    previous = None
    for object_id, status, at in changes.iterator(chunk_size=5000):
        if previous is not None and previous[0] == object_id and at >= since:
            closed[(banks[object_id], previous[1])].append((at - previous[2]).total_seconds() / 86400)
        elif previous is not None and previous[0] != object_id:
            _open_stage(open_, banks, previous, now)
        previous = (object_id, status, at)
    if previous is not None:
        _open_stage(open_, banks, previous, now)
    rows = []
    for bank, stage in sorted(set(closed) | set(open_)):
        done, waiting = sorted(closed.get((bank, stage), [])), open_.get((bank, stage), [])
        sla = STAGE_SLA_DAYS.get(stage)
        rows.append(
            {
                "bank": bank,
                "stage": stage,
                "completed": len(done),
                "median_days": round(statistics.median(done), 2) if done else None,
                "p90_days": round(done[min(len(done) - 1, int(0.9 * len(done)))], 2) if done else None,
                "open": len(waiting),
                "open_median_days": round(statistics.median(waiting), 2) if waiting else None,
                "sla_days": sla,
                "open_breached": sum(1 for d in waiting if sla is not None and d > sla),
            }
        )
    return rows


def _open_stage(open_: dict, banks: dict, last: tuple, now) -> None:
    object_id, status, at = last
    if status not in Application.TERMINAL:
        open_[(banks[object_id], status)].append((now - at).total_seconds() / 86400)
