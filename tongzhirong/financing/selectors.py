import datetime as dt
import statistics
from collections import defaultdict

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.core.errors import NotFound
from tongzhirong.core.models import StatusChange
from tongzhirong.core.state import history

from .filing import current_package
from .models import Application, ApplicationStatus, FilingPackage, Loan, Repayment


def stage_entered_at():
    """When an application entered its current status: its latest status change, else its creation (an
    annotation: one subquery per row)."""
    latest = (
        StatusChange.objects.filter(
            content_type=ContentType.objects.get_for_model(Application), object_id=OuterRef("pk")
        )
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )
    return Coalesce(Subquery(latest), F("created_at"))


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


def filing_package_pdf(
    *, user, application: Application, registry: str | None = None, version: int | None = None
) -> FilingPackage:
    """A filing package whose PDF ``user`` may download: the pledgor's and the pledgee's people only, who sign
    it. The registry's current version, or the ``version`` named (an earlier one stays readable)."""
    require(
        user,
        organisation_id={application.enterprise.organisation_id, application.product.bank_id},
        message=_("Only the pledgor and the pledgee read the filing package."),
    )
    package = current_package(application, registry)
    if version is not None and version != package.version:
        package = FilingPackage.objects.filter(
            application=application, registry=package.registry, version=version
        ).first()
        if package is None:
            raise NotFound(_("There is no version %(version)s of this filing package.") % {"version": version})
    if package.pdf is None:
        raise NotFound(_("This version was generated before packages were rendered as PDF: regenerate it."))
    return package


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


def application_timeline(*, application: Application):
    return history(application).select_related("actor__organisation")


def loan_list(*, user) -> QuerySet[Loan]:
    """The borrower sees its loans, the lending bank its book, the platform all."""
    qs = Loan.objects.select_related("borrower", "bank", "application").prefetch_related(
        "schedule",
        "collateral_flags",  # the collateral health shown with each loan
        "application__pledge_registrations",  # one per registry the pledged rights register at
    )
    if user.is_superuser or user.kind == OrganisationKind.PLATFORM:
        return qs
    if user.kind == OrganisationKind.SME:
        return qs.filter(borrower__organisation_id=user.organisation_id)
    if user.kind == OrganisationKind.BANK:
        return qs.filter(bank_id=user.organisation_id)
    return qs.none()


def loan_repayment(*, loan: Loan, repayment_id: int) -> Repayment:
    """One repayment (or reversal) of a loan the caller already sees; another loan's is not found."""
    repayment = Repayment.objects.filter(loan=loan, pk=repayment_id).first()
    if repayment is None:
        raise NotFound()
    return repayment


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
