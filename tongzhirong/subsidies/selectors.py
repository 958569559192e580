"""Who sees which policies and claims, and the city office's export of claims."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.core.reference import SHANGHAI
from tongzhirong.financing.models import Loan

from .models import SubsidyClaim, SubsidyClaimLine, SubsidyPolicy
from .rules import year_bounds

# Those who see every firm's claims: the office that decides them and the platform that runs the service.
SEES_ALL_CLAIMS = frozenset({OrganisationKind.CITY_OFFICE, OrganisationKind.PLATFORM})


def subsidy_policy_list(*, user) -> QuerySet[SubsidyPolicy]:
    """Policies are public to everyone signed in: firms read them before claiming."""
    return SubsidyPolicy.objects.all()


def subsidy_claim_list(*, user, filters: dict | None = None) -> QuerySet[SubsidyClaim]:
    """A firm sees its own claims; the city office and the platform every firm's; anyone else none."""
    lines = SubsidyClaimLine.objects.select_related("loan").order_by("id")
    qs = SubsidyClaim.objects.select_related("policy", "enterprise").prefetch_related(Prefetch("lines", lines))
    if user.is_superuser or user.kind in SEES_ALL_CLAIMS:
        pass
    elif user.kind == OrganisationKind.SME:
        qs = qs.filter(enterprise__organisation_id=user.organisation_id)
    else:
        return qs.none()
    for key, lookup in (("status", "status"), ("policy", "policy_id"), ("year", "year")):
        if (filters or {}).get(key) not in (None, ""):
            qs = qs.filter(**{lookup: filters[key]})
    return qs


def claimable_loans(*, user, year: int | None = None) -> QuerySet[Loan]:
    """The caller's own loans with what quoting reads, loaded once for all of them; with ``year``, only those
    disbursed before that policy year ended (the loans a claim for the year can name)."""
    qs = (
        Loan.objects.filter(borrower__organisation_id=user.organisation_id)
        .select_related("application")
        .prefetch_related("schedule", "repayments", "cover_policies")
        .order_by("disbursed_at", "id")
    )
    if year is not None:
        qs = qs.filter(disbursed_at__lt=year_bounds(year)[1])
    return qs


def export_headers() -> list[str]:
    return [
        _("Reference"),
        _("Policy"),
        _("Year"),
        _("Enterprise"),
        _("USCC"),
        _("District"),
        _("Loans"),
        _("Computed amount (yuan)"),
        _("Amount within the cap (yuan)"),
        _("Status"),
        _("Submitted at"),
        _("Decided at"),
        _("Decision reason"),
        _("Paid on"),
        _("Payment reference"),
    ]


def export_rows(claims: QuerySet[SubsidyClaim]) -> Iterator[list]:
    """One row per claim, amounts as numbers (a spreadsheet sums them), text as the firm or office wrote it."""
    for claim in claims.order_by("year", "reference"):
        yield [
            claim.reference,
            claim.policy.name,
            claim.year,
            claim.enterprise.legal_name,
            claim.enterprise.uscc,
            claim.enterprise.get_district_display(),
            "、".join(line.loan.contract_number for line in claim.lines.all()),
            claim.computed_amount,
            claim.amount,
            claim.get_status_display(),
            _local(claim.created_at),
            _local(claim.decided_at),
            claim.decision_reason,
            claim.paid_on.isoformat() if claim.paid_on else "",
            claim.payment_reference,
        ]


def _local(moment) -> str:
    return timezone.localtime(moment, SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else ""
