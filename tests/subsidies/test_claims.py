"""Subsidy claims: amounts from the repayment records, eligibility, the per-firm annual cap, the city office's
decisions. Loans are interest-only (先息后本) so that every figure is easy to check by hand."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models.query import QuerySet

from tests.db import refused_by_database
from tests.factories import (
    EnterpriseFactory,
    GuaranteeProductFactory,
    InsuranceProductFactory,
    SubsidyPolicyFactory,
    UserFactory,
    at,
    loan_for,
    pay_instalments,
    repaid_loan,
)
from tongzhirong.accounts.models import Role
from tongzhirong.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from tongzhirong.core.state import history
from tongzhirong.financing.models import Loan
from tongzhirong.financing.services import repayment_record
from tongzhirong.notifications.models import Notification
from tongzhirong.products.models import GuaranteeProduct, InsuranceProduct
from tongzhirong.subsidies.models import (
    ClaimStatus,
    InterestBasis,
    RepaymentCondition,
    SubsidyAllowance,
    SubsidyKind,
)
from tongzhirong.subsidies.notices import subsidy_claim_notify
from tongzhirong.subsidies.services import (
    CapReached,
    NotEligible,
    subsidy_claim_approve,
    subsidy_claim_quote,
    subsidy_claim_record_payment,
    subsidy_claim_reject,
    subsidy_claim_submit,
    subsidy_claim_withdraw,
)
from tongzhirong.subsidies.services import _locked_allowance as locked_allowance

pytestmark = pytest.mark.django_db


def test_the_cap_per_firm_per_year_holds_across_several_loans_and_claims(firm, owner, city, policy):
    """Policy: 50% of the interest paid, at most 3% of each loan's principal, at most 50,000 per firm a year.

    Three interest-only loans at 6%, disbursed 2024-12-01, twelve instalments due 2025-01-01 … 2025-12-01,
    all paid on their dates, so all their interest is paid in 2025:

    ======  ==========  =================  ==========  ================  ========
    loan    principal   interest in 2025   50% of it   3% of principal   earns
    ======  ==========  =================  ==========  ================  ========
    A       1,200,000   12 × 6,000 = 72k   36,000      36,000            36,000
    B         800,000   12 × 4,000 = 48k   24,000      24,000            24,000
    C         500,000   12 × 2,500 = 30k   15,000      15,000            15,000
    ======  ==========  =================  ==========  ================  ========

    Claim 1 (A) holds 36,000, leaving 14,000 of the cap; claim 2 (B) earns 24,000 but holds only 14,000;
    claim 3 (C) finds the cap used up. Rejecting claim 2 gives its 14,000 back, and C can then claim it.
    """
    a, b, c = (repaid_loan(firm, principal=p) for p in ("1200000.00", "800000.00", "500000.00"))

    first = subsidy_claim_submit(actor=owner, policy=policy, year=2025, loans=[a])
    assert (first.computed_amount, first.amount) == (Decimal("36000.00"), Decimal("36000.00"))

    second = subsidy_claim_submit(actor=owner, policy=policy, year=2025, loans=[b])
    assert (second.computed_amount, second.amount) == (Decimal("24000.00"), Decimal("14000.00"))

    with pytest.raises(CapReached):
        subsidy_claim_submit(actor=owner, policy=policy, year=2025, loans=[c])

    subsidy_claim_reject(actor=city, claim=second, reason="材料不全")
    third = subsidy_claim_submit(actor=owner, policy=policy, year=2025, loans=[c])
    assert third.amount == Decimal("14000.00")
    allowance = SubsidyAllowance.objects.get(enterprise=firm, policy=policy, year=2025)
    assert allowance.committed == Decimal("50000.00") == policy.annual_cap


def test_one_claim_over_several_loans_sums_them_within_the_cap(firm, owner, policy):
    """A (36,000) and B (24,000) in one claim: 60,000 computed, 50,000 held."""
    a, b = repaid_loan(firm, principal="1200000.00"), repaid_loan(firm, principal="800000.00")
    claim = subsidy_claim_submit(actor=owner, policy=policy, year=2025, loans=[a, b])
    assert (claim.computed_amount, claim.amount) == (Decimal("60000.00"), Decimal("50000.00"))
    assert sorted(line.amount for line in claim.lines.all()) == [Decimal("24000.00"), Decimal("36000.00")]


def test_the_cap_is_per_year_a_new_year_starts_afresh(firm, owner, policy):
    """A loan disbursed 2025-06-15 pays 6 × 6,000 = 36,000 of interest in 2025 (Jul–Dec) and 36,000 in 2026
    (Jan–Jun): each year earns 50% = 18,000 on its own allowance."""
    loan = loan_for(firm, disbursed=dt.date(2025, 6, 15))
    pay_instalments(loan, count=11)  # up to 2026-05-15: today is later in the test world
    y2025 = subsidy_claim_submit(actor=owner, policy=policy, year=2025, loans=[loan])
    y2026 = subsidy_claim_submit(actor=owner, policy=policy, year=2026, loans=[loan])
    assert y2025.amount == Decimal("18000.00")
    assert y2026.amount == Decimal("15000.00")  # Jan–May 2026: 5 × 6,000 × 50%


def test_the_policy_year_is_the_calendar_year_in_beijing_time(firm, owner, policy):
    """An instalment paid at 23:30 on 31 December Beijing time (15:30 UTC) belongs to that year; one paid at
    00:10 on 1 January (16:10 UTC on 31 December) to the next."""
    loan = loan_for(firm, disbursed=dt.date(2025, 10, 31), term_months=3)  # due 11-30, 12-31, 01-31
    pay_instalments(loan, count=1)
    officer = UserFactory(organisation=loan.bank, role=Role.BANK_OFFICER)
    repayment_record(actor=officer, loan=loan, amount=Decimal("6000.00"), paid_at=at(dt.date(2025, 12, 31), 23, 30))
    repayment_record(actor=officer, loan=loan, amount=Decimal("6000.00"), paid_at=at(dt.date(2026, 1, 1), 0, 10))
    quote = subsidy_claim_quote(policy=policy, enterprise=firm, year=2025, loans=[loan])
    assert quote.lines[0].base == Decimal("12000.00")  # 11-30 and 12-31 23:30, not 01-01 00:10


def test_an_insured_or_guaranteed_loan_earns_the_higher_share(firm, owner):
    """20% of the interest paid, 50% when insured (Fujian's shape): 72,000 × 50% = 36,000 insured,
    48,000 × 20% = 9,600 not insured."""
    policy = SubsidyPolicyFactory(share=Decimal("0.2"), covered_share=Decimal("0.5"), annual_cap=Decimal("300000"))
    insured = repaid_loan(firm, insurance_product=InsuranceProductFactory())
    plain = repaid_loan(firm, principal="800000.00")
    quote = subsidy_claim_quote(policy=policy, enterprise=firm, year=2025, loans=[insured, plain])
    assert [(line.covered, line.share, line.amount) for line in quote.lines] == [
        (True, Decimal("0.5"), Decimal("36000.00")),
        (False, Decimal("0.2"), Decimal("9600.00")),
    ]


def test_covered_means_a_policy_or_guarantee_bound_to_the_loan_not_one_the_application_asked_for(firm, owner):
    policy = SubsidyPolicyFactory(share=Decimal("0.2"), covered_share=Decimal("0.5"), annual_cap=Decimal("300000"))
    loan = repaid_loan(firm, insurance_product=InsuranceProductFactory())
    loan.cover_policies.all().delete()  # the insurer never bound it
    quote = subsidy_claim_quote(policy=policy, enterprise=firm, year=2025, loans=[loan])
    assert (quote.lines[0].covered, quote.lines[0].share) == (False, Decimal("0.2"))


def test_an_lpr_based_subsidy_pays_the_share_of_the_lpr_on_the_same_balance(firm, owner):
    """50% of a 3.10% LPR on 1,200,000 for a year = 18,600: the 72,000 paid at 6% × (0.5 × 3.1% ÷ 6%)."""
    policy = SubsidyPolicyFactory(
        interest_basis=InterestBasis.LPR, lpr_rate=Decimal("0.031"), loan_cap_rate=None, annual_cap=Decimal("300000")
    )
    loan = repaid_loan(firm)
    claim = subsidy_claim_submit(actor=owner, policy=policy, year=2025, loans=[loan])
    assert claim.amount == Decimal("18600.00")


def test_a_premium_subsidy_pays_a_share_of_premium_and_fee_within_its_loan_cap(firm, owner):
    """Premium 1.2% a year on 1,200,000 for 12 months = 14,400; 50% = 7,200, above the cap of 0.5% of the
    principal = 6,000, so 6,000. The loan counts in the year it was disbursed (2024)."""
    policy = SubsidyPolicyFactory(
        kind=SubsidyKind.PREMIUM, interest_basis="", loan_cap_rate=Decimal("0.005"), first_year=2024
    )
    loan = repaid_loan(firm, insurance_product=InsuranceProductFactory(premium_rate=Decimal("0.012")))
    claim = subsidy_claim_submit(actor=owner, policy=policy, year=2024, loans=[loan])
    line = claim.lines.get()
    assert (line.base, line.amount, claim.amount) == (Decimal("14400.00"), Decimal("6000.00"), Decimal("6000.00"))


def test_a_premium_subsidy_rests_on_the_premium_bound_at_disbursement_not_on_todays_rates(firm, owner):
    """Bound at disbursement: premium 1.2% and guarantee fee 1% a year on 1,200,000 for 12 months, 14,400 +
    12,000 = 26,400. The insurer and the guarantor reprice to 3% and 2% afterwards; the base stays 26,400
    (not 36,000 + 24,000), and 50% of it is 13,200."""
    policy = SubsidyPolicyFactory(
        kind=SubsidyKind.PREMIUM, interest_basis="", loan_cap_rate=None, annual_cap=Decimal("300000")
    )
    insurance = InsuranceProductFactory(premium_rate=Decimal("0.012"))
    guarantee = GuaranteeProductFactory(fee_rate=Decimal("0.01"))
    loan = repaid_loan(firm, insurance_product=insurance, guarantee_product=guarantee)
    InsuranceProduct.objects.filter(pk=insurance.pk).update(premium_rate=Decimal("0.03"))
    GuaranteeProduct.objects.filter(pk=guarantee.pk).update(fee_rate=Decimal("0.02"))
    claim = subsidy_claim_submit(actor=owner, policy=policy, year=2024, loans=[Loan.objects.get(pk=loan.pk)])
    line = claim.lines.get()
    assert (line.base, line.amount) == (Decimal("26400.00"), Decimal("13200.00"))


def test_an_appraisal_fee_subsidy_takes_the_declared_fee_capped_as_a_share_of_the_loan(firm, owner):
    """Declared fee 30,000 × 50% = 15,000, capped at 0.5% of 1,200,000 = 6,000."""
    policy = SubsidyPolicyFactory(kind=SubsidyKind.APPRAISAL, interest_basis="", loan_cap_rate=Decimal("0.005"))
    loan = repaid_loan(firm)
    claim = subsidy_claim_submit(
        actor=owner, policy=policy, year=2024, loans=[loan], appraisal_fees={loan.pk: Decimal("30000")}
    )
    assert claim.amount == Decimal("6000.00")
    with pytest.raises(NotEligible) as refused:  # no fee declared: nothing to subsidise
        subsidy_claim_submit(actor=owner, policy=SubsidyPolicyFactory(kind="appraisal", interest_basis=""),
                             year=2024, loans=[loan])  # fmt: skip
    assert "Declare the appraisal fee" in str(refused.value.errors)


# --- eligibility ------------------------------------------------------------------------------------------


def reasons(policy, firm, loan, year=2025):
    quote = subsidy_claim_quote(policy=policy, enterprise=firm, year=year, loans=[loan])
    return quote.firm_reasons + quote.lines[0].reasons


def test_a_firm_outside_the_policys_districts_is_not_eligible(firm):
    policy = SubsidyPolicyFactory(eligible_districts=["320681"])  # 启东 only; the firm is in 崇川
    assert any("启东市" in r for r in reasons(policy, firm, repaid_loan(firm)))


def test_a_firm_without_a_required_tech_marker_is_not_eligible():
    firm = EnterpriseFactory(is_high_tech=False, is_specialised=False)
    policy = SubsidyPolicyFactory(required_tech_markers=["specialised", "little_giant"])
    assert any("专精特新" in r for r in reasons(policy, firm, repaid_loan(firm)))
    marked = EnterpriseFactory(is_specialised=True)
    assert reasons(policy, marked, repaid_loan(marked)) == []


def test_a_policy_paying_after_full_repayment_refuses_a_running_loan(firm):
    policy = SubsidyPolicyFactory(repayment_condition=RepaymentCondition.FULL)
    running = loan_for(firm)
    pay_instalments(running, count=11)
    assert reasons(policy, firm, running) == ["The policy pays once the loan is repaid in full."]
    assert reasons(policy, firm, repaid_loan(firm)) == []


def test_a_policy_requiring_repayment_on_time_refuses_a_late_instalment(firm):
    policy = SubsidyPolicyFactory(repayment_condition=RepaymentCondition.ON_TIME)
    late = loan_for(firm)
    pay_instalments(late, days_late=3)
    assert reasons(policy, firm, late) == ["The instalment due on 2025-01-01 was not paid on time."]
    assert reasons(policy, firm, repaid_loan(firm)) == []


def test_a_loan_without_interest_paid_in_the_year_earns_nothing(firm):
    policy = SubsidyPolicyFactory()
    assert reasons(policy, firm, loan_for(firm, disbursed=dt.date(2025, 12, 20))) == [
        "No interest was paid on this loan in 2025."
    ]


def test_a_loan_without_a_bound_policy_earns_no_premium_subsidy(firm):
    policy = SubsidyPolicyFactory(kind=SubsidyKind.PREMIUM, interest_basis="")
    assert reasons(policy, firm, repaid_loan(firm), year=2024) == ["The loan has neither insurance nor a guarantee."]


def test_a_loan_is_claimed_once_per_policy_and_year(firm, owner, policy):
    loan = repaid_loan(firm)
    first = subsidy_claim_submit(actor=owner, policy=policy, year=2025, loans=[loan])
    with pytest.raises(NotEligible) as refused:
        subsidy_claim_submit(actor=owner, policy=policy, year=2025, loans=[loan])
    assert first.reference in str(refused.value.errors)


def test_only_the_firm_claims_and_only_for_its_own_loans(firm, owner, policy, city):
    other = EnterpriseFactory()
    with pytest.raises(ValidationFailed):
        subsidy_claim_submit(actor=owner, policy=policy, year=2025, loans=[repaid_loan(other)])
    with pytest.raises(PermissionDenied):
        subsidy_claim_submit(actor=city, policy=policy, year=2025, loans=[repaid_loan(firm)])


def test_a_year_outside_the_policy_or_not_yet_begun_is_refused(firm, owner):
    policy = SubsidyPolicyFactory(first_year=2026)
    with pytest.raises(ValidationFailed) as refused:
        subsidy_claim_submit(actor=owner, policy=policy, year=2025, loans=[repaid_loan(firm)])
    assert "year" in refused.value.errors


# --- decisions ---------------------------------------------------------------------------------------------


def test_only_the_city_office_approves(firm, owner, policy, city):
    claim = subsidy_claim_submit(actor=owner, policy=policy, year=2025, loans=[repaid_loan(firm)])
    for outsider in (owner, UserFactory(organisation=claim.lines.get().loan.bank, role=Role.BANK_MANAGER)):
        with pytest.raises(PermissionDenied):
            subsidy_claim_approve(actor=outsider, claim=claim)
    subsidy_claim_approve(actor=city, claim=claim, reason="符合条件")
    claim.refresh_from_db()
    assert (claim.status, claim.decided_by) == (ClaimStatus.APPROVED, city)
    assert [(c.from_status, c.to_status) for c in history(claim)] == [("submitted", "approved")]


def test_a_rejection_needs_a_reason_and_frees_the_loans_and_the_cap(firm, owner, policy, city):
    loan = repaid_loan(firm)
    claim = subsidy_claim_submit(actor=owner, policy=policy, year=2025, loans=[loan])
    with pytest.raises(ValidationFailed):
        subsidy_claim_reject(actor=city, claim=claim, reason=" ")
    subsidy_claim_reject(actor=city, claim=claim, reason="贷款用途不符")
    assert SubsidyAllowance.objects.get(enterprise=firm).committed == 0
    again = subsidy_claim_submit(actor=owner, policy=policy, year=2025, loans=[loan])
    assert again.amount == Decimal("36000.00")


def test_payment_is_recorded_after_approval_only(firm, owner, policy, city):
    claim = subsidy_claim_submit(actor=owner, policy=policy, year=2025, loans=[repaid_loan(firm)])
    with pytest.raises(InvalidTransition):
        subsidy_claim_record_payment(actor=city, claim=claim, paid_on=dt.date(2026, 3, 1), reference="GK-1")
    subsidy_claim_approve(actor=city, claim=claim)
    subsidy_claim_record_payment(actor=city, claim=claim, paid_on=dt.date(2026, 3, 1), reference="GK-1")
    claim.refresh_from_db()
    assert (claim.status, claim.paid_on, claim.payment_reference) == ("paid", dt.date(2026, 3, 1), "GK-1")
    with pytest.raises(InvalidTransition):
        subsidy_claim_withdraw(actor=owner, claim=claim)


def test_the_firm_withdraws_a_submitted_claim_and_gets_its_cap_back(firm, owner, policy):
    claim = subsidy_claim_submit(actor=owner, policy=policy, year=2025, loans=[repaid_loan(firm)])
    subsidy_claim_withdraw(actor=owner, claim=claim, reason="重新申报")
    assert SubsidyAllowance.objects.get(enterprise=firm).committed == 0


def test_the_city_office_hears_of_a_claim_and_the_firm_of_the_decision_once_each(
    firm, owner, policy, city, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        claim = subsidy_claim_submit(actor=owner, policy=policy, year=2025, loans=[repaid_loan(firm)])
    with django_capture_on_commit_callbacks(execute=True):
        subsidy_claim_approve(actor=city, claim=claim)
    subsidy_claim_notify(claim_id=claim.pk)  # a retry of the task: nothing new
    assert Notification.objects.filter(recipient=city).count() == 1
    about_claims = Notification.objects.filter(recipient=owner, dedupe_key__startswith="subsidy-claim:")
    assert list(about_claims.values_list("dedupe_key", flat=True)) == [f"subsidy-claim:{claim.pk}:approved"]


def test_the_database_refuses_an_allowance_over_its_cap(firm, owner, policy):
    subsidy_claim_submit(actor=owner, policy=policy, year=2025, loans=[repaid_loan(firm)])
    with refused_by_database("subsidyallowance_within_cap"):
        SubsidyAllowance.objects.filter(enterprise=firm).update(committed=Decimal("50000.01"))


def test_an_existing_allowance_is_locked_and_read_in_one_query(firm, policy, django_assert_num_queries):
    with transaction.atomic():
        first = locked_allowance(enterprise=firm, policy=policy, year=2025)
    with transaction.atomic(), django_assert_num_queries(1):
        again = locked_allowance(enterprise=firm, policy=policy, year=2025)
    assert again.pk == first.pk
    assert (again.cap, again.committed) == (policy.annual_cap, 0)


def test_an_allowance_another_claim_creates_meanwhile_is_the_one_locked(firm, policy, monkeypatch):
    """The other claim's row was not there when this one looked, and is by the time this one inserts: the
    unique constraint refuses the second row and this claim takes the other's."""
    theirs = SubsidyAllowance.objects.create(
        enterprise=firm, policy=policy, year=2025, cap=policy.annual_cap, committed=Decimal("1000.00")
    )
    real_get, looks = QuerySet.get, []

    def get_before_their_commit(self, *args, **kwargs):
        looks.append(self.model)
        if len(looks) == 1:
            raise self.model.DoesNotExist
        return real_get(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "get", get_before_their_commit)
    with transaction.atomic():
        ours = locked_allowance(enterprise=firm, policy=policy, year=2025)
    assert (ours.pk, ours.committed) == (theirs.pk, Decimal("1000.00"))
    assert SubsidyAllowance.objects.filter(enterprise=firm).count() == 1
