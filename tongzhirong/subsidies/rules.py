"""What a loan earns under a subsidy policy in a year, and why it earns nothing when it does not.

Every amount comes from records: the interest of the ``Repayment`` rows paid in the policy year, the premium
and guarantee fee of the ``CoverPolicy`` rows bound at disbursement, the appraisal fee the firm declares.
The year is the calendar year in Asia/Shanghai: a repayment at 23:30 on 31 December Beijing time counts for
that year even though it is 15:30 UTC."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhirong.core.money import to_rate, to_yuan
from tongzhirong.core.reference import SHANGHAI, District, TechMarker
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.financing.models import Loan, LoanStatus

from .models import InterestBasis, RepaymentCondition, SubsidyKind, SubsidyPolicy

ZERO = Decimal("0.00")
NO_SUBSIDY_STATUSES = frozenset({LoanStatus.DEFAULTED, LoanStatus.WRITTEN_OFF})


@dataclass
class LineQuote:
    loan: Loan
    reasons: list[str] = field(default_factory=list)
    base: Decimal = ZERO
    share: Decimal = Decimal("0")
    covered: bool = False
    loan_cap: Decimal | None = None
    amount: Decimal = ZERO

    @property
    def eligible(self) -> bool:
        return not self.reasons and self.amount > 0


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The policy year as aware instants: [1 January 00:00, next 1 January 00:00) in Asia/Shanghai."""
    return datetime(year, 1, 1, tzinfo=SHANGHAI), datetime(year + 1, 1, 1, tzinfo=SHANGHAI)


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment, SHANGHAI).date()


def enterprise_reasons(*, policy: SubsidyPolicy, enterprise: Enterprise) -> list[str]:
    """Why the firm itself is outside the policy (district, tech markers); empty when it is inside."""
    reasons = []
    if policy.eligible_districts and enterprise.district not in policy.eligible_districts:
        names = "、".join(str(District(d).label) for d in policy.eligible_districts)
        reasons.append(_("The policy covers firms in %(districts)s only.") % {"districts": names})
    if policy.required_tech_markers and not set(policy.required_tech_markers) & set(enterprise.tech_markers):
        names = "、".join(str(TechMarker(m).label) for m in policy.required_tech_markers)
        reasons.append(_("The policy is for firms with one of these marks: %(marks)s.") % {"marks": names})
    return reasons


def is_covered(loan: Loan) -> bool:
    """Insured or guaranteed: an insurance policy or a guarantee is bound to the loan (at disbursement), the
    records the premium subsidy reads too, not what the application asked for."""
    return bool(loan.cover_policies.all())  # prefetched by the quote


def quote_line(
    *, policy: SubsidyPolicy, year: int, loan: Loan, today: date, appraisal_fee: Decimal | None = None
) -> LineQuote:
    """What ``loan`` earns under ``policy`` in ``year``, with the reasons if it earns nothing."""
    line = LineQuote(loan=loan, covered=is_covered(loan))
    line.reasons.extend(_loan_reasons(policy=policy, year=year, loan=loan, today=today))
    line.share = policy.covered_share if line.covered and policy.covered_share is not None else policy.share
    line.base = _base(policy=policy, year=year, loan=loan, appraisal_fee=appraisal_fee, reasons=line.reasons)
    if line.reasons:
        return line
    if policy.kind == SubsidyKind.INTEREST and policy.interest_basis == InterestBasis.LPR:
        # The interest share × LPR would have produced on the same balance and days, at most what was paid:
        # the interest paid scaled by (share × LPR) ÷ the loan's rate.
        rate = loan.annual_rate
        line.share = min(Decimal(1), line.share * policy.lpr_rate / rate) if rate > 0 else Decimal(0)
    earned = line.base * line.share
    line.share = to_rate(line.share)
    amount = to_yuan(earned)
    if policy.loan_cap_rate is not None:
        line.loan_cap = to_yuan(loan.principal * policy.loan_cap_rate)
        amount = min(amount, line.loan_cap)
    line.amount = amount
    if amount <= 0:
        line.reasons.append(_("The loan earns nothing under this policy in %(year)s.") % {"year": year})
    return line


def _loan_reasons(*, policy: SubsidyPolicy, year: int, loan: Loan, today: date) -> list[str]:
    reasons = []
    if loan.status in NO_SUBSIDY_STATUSES:
        reasons.append(_("A defaulted or written-off loan earns no subsidy."))
    if policy.repayment_condition == RepaymentCondition.FULL and loan.status != LoanStatus.REPAID:
        reasons.append(_("The policy pays once the loan is repaid in full."))
    if policy.repayment_condition == RepaymentCondition.ON_TIME:
        late = _late_instalment(loan=loan, year=year, today=today)
        if late is not None:
            reasons.append(_("The instalment due on %(day)s was not paid on time.") % {"day": late.isoformat()})
    if policy.kind in (SubsidyKind.PREMIUM, SubsidyKind.APPRAISAL):
        disbursed = local_day(loan.disbursed_at)
        if disbursed.year != year:
            reasons.append(
                _("The fee is subsidised in the year the loan was disbursed (%(day)s).") % {"day": disbursed}
            )
    return reasons


def _late_instalment(*, loan: Loan, year: int, today: date) -> date | None:
    """The first instalment due in the year (up to today) that was paid after its due date or is still unpaid."""
    for line in loan.schedule.all():  # prefetched by the caller when quoting many loans
        if line.due_date.year != year or line.due_date >= today:
            continue
        if line.settled_at is None or local_day(line.settled_at) > line.due_date:
            return line.due_date
    return None


def _base(
    *, policy: SubsidyPolicy, year: int, loan: Loan, appraisal_fee: Decimal | None, reasons: list[str]
) -> Decimal:
    if policy.kind == SubsidyKind.INTEREST:
        start, end = year_bounds(year)
        # The loan's repayments, prefetched by the caller when quoting many loans (as its schedule is). A reversed
        # repayment was never paid: neither it nor its reversal counts, whichever years they fall in.
        repayments = loan.repayments.all()
        reversed_ids = {r.reverses_id for r in repayments if r.reverses_id is not None}
        standing = (r for r in repayments if r.reverses_id is None and r.pk not in reversed_ids)
        paid = to_yuan(sum((r.interest_part for r in standing if start <= r.paid_at < end), ZERO))
        if paid <= 0:
            reasons.append(_("No interest was paid on this loan in %(year)s.") % {"year": year})
        return paid
    if policy.kind == SubsidyKind.PREMIUM:
        fee = premium_and_fee(loan)
        if fee <= 0:
            reasons.append(_("The loan has neither insurance nor a guarantee."))
        return fee
    if appraisal_fee is None or appraisal_fee <= 0:
        reasons.append(_("Declare the appraisal fee paid for this loan."))
        return ZERO
    return to_yuan(appraisal_fee)


def premium_and_fee(loan: Loan) -> Decimal:
    """Premium plus guarantee fee as bound to the loan at disbursement, on the products' rates then: a provider
    repricing its product later does not move what was paid. A loan with no bound policy has none."""
    # The loan's policies, prefetched by the caller when quoting many loans (as its schedule is).
    return to_yuan(sum((policy.premium for policy in loan.cover_policies.all()), ZERO))
