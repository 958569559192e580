"""The bank's review queue: its applications with their latest score and how long each has waited in its stage.

Above financing and scoring, which it joins."""

import datetime as dt
from collections import defaultdict

from django.db.models import BooleanField, Case, ExpressionWrapper, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from scoring.selectors import latest_score_of_outer
from tongzhirong.financing.models import Application, ApplicationAsset, ApplicationStatus
from tongzhirong.financing.selectors import STAGE_SLA_DAYS, application_list, stage_entered_at


def application_queue(*, user, filters: dict | None = None) -> QuerySet[Application]:
    """The scoped list with what a reviewer sorts by: latest band and PD, when the current stage began,
    and whether its service level is breached — all computed in the database."""
    filters = filters or {}
    latest_score = latest_score_of_outer()
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
            stage_entered_at=stage_entered_at(),
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
    if filters.get("awaiting_checker") is not None:
        waiting = Q(status=ApplicationStatus.UNDER_REVIEW, approval_proposed_by__isnull=False)
        qs = qs.filter(waiting) if filters["awaiting_checker"] else qs.exclude(waiting)
    if filters.get("q"):
        words = filters["q"]
        qs = qs.filter(
            Q(reference__icontains=words)
            | Q(enterprise__legal_name__icontains=words)
            | Q(enterprise__uscc__icontains=words.upper())
        )
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
    "internal_note": "internal_note",
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
