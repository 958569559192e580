"""Underwriting before disbursement (issue 18, item 7): an approval asks the insurer and guarantor its terms name to
cover the loan; their underwriters accept with conditions (on the product's terms or their own) or decline with a
reason; the loan is disbursed only on accepted cover, and the policy and the claims run on the accepted terms."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone

from tests.factories import (
    ApplicationFactory,
    BankFactory,
    EnterpriseFactory,
    GuaranteeProductFactory,
    InsuranceProductFactory,
    IPAssetFactory,
    LoanProductFactory,
    UserFactory,
)
from tongzhirong.accounts.models import Role
from tongzhirong.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from tongzhirong.evidence.models import Entry
from tongzhirong.financing.models import Application, ApplicationAsset, ApplicationStatus, Loan
from tongzhirong.lending.applications import (
    application_approve,
    application_decline_offer,
    application_reject,
    application_withdraw,
)
from tongzhirong.lending.endings import application_expire
from tongzhirong.lending.loans import loan_disburse, loans_refresh_delinquency
from tongzhirong.lending.timeline import application_timeline
from tongzhirong.notifications.models import Notification
from tongzhirong.risksharing.models import CoverKind, CoverLapseReason, CoverRequest, CoverRequestStatus
from tongzhirong.risksharing.services import (
    claim_submit,
    cover_go_without,
    cover_request_accept,
    cover_request_decline,
    cover_request_open,
    cover_request_withdraw,
    cover_requests_lapse_ended,
)

pytestmark = pytest.mark.django_db
CR = CoverRequestStatus


@pytest.fixture
def bank():
    return BankFactory()


@pytest.fixture
def officer(bank):
    return UserFactory(organisation=bank, role=Role.BANK_OFFICER)


@pytest.fixture
def insurance():
    return InsuranceProductFactory(premium_rate=D("0.012"), coverage_ratio=D("0.5"), coverage_cap=D("100000"))


@pytest.fixture
def underwriter(insurance):
    return UserFactory(organisation=insurance.insurer, role=Role.UNDERWRITER)


def ready(bank, status=ApplicationStatus.REGISTERED, **fields):
    """A pledge-registered application of ``bank`` (terms approved: 300,000 yuan, 12 months), cover not asked yet."""
    enterprise = EnterpriseFactory()
    application = ApplicationFactory(
        enterprise=enterprise,
        product=LoanProductFactory(bank=bank, min_amount=D("10000")),
        status=status,
        approved_amount=D("300000.00"),
        approved_rate=D("0.04"),
        approved_term_months=12,
        **fields,
    )
    ApplicationAsset.objects.create(application=application, asset=IPAssetFactory(owner=enterprise))
    return application


def disburse(officer, application, contract="JK-COVER-1", days_ago=0):
    return loan_disburse(
        actor=officer,
        application=application,
        contract_number=contract,
        disbursed_at=timezone.now() - dt.timedelta(days=days_ago),
    )


def test_an_approval_asks_the_insurer_and_guarantor_its_terms_name_and_tells_them(
    bank, officer, insurance, underwriter, django_capture_on_commit_callbacks
):
    guarantee = GuaranteeProductFactory(fee_rate=D("0.01"), coverage_ratio=D("0.8"))
    guarantor = UserFactory(organisation=guarantee.guarantor, role=Role.UNDERWRITER)
    enterprise = EnterpriseFactory()
    application = ApplicationFactory(
        enterprise=enterprise,
        product=LoanProductFactory(bank=bank, min_amount=D("10000")),
        status=ApplicationStatus.UNDER_REVIEW,
        insurance_product=insurance,
        guarantee_product=guarantee,
    )
    for _ in range(2):
        ApplicationAsset.objects.create(
            application=application, asset=IPAssetFactory(owner=enterprise, forward_citations=30, family_size=5)
        )
    with django_capture_on_commit_callbacks(execute=True):
        application_approve(actor=officer, application=application, amount=D("50000"), rate=D("0.04"), term_months=12)
    requests = {r.kind: r for r in CoverRequest.objects.filter(application=application)}
    assert set(requests) == {CoverKind.INSURANCE, CoverKind.GUARANTEE}
    insured = requests[CoverKind.INSURANCE]
    assert (insured.status, insured.provider_id, insured.amount, insured.term_months) == (
        CR.REQUESTED,
        insurance.insurer_id,
        D("50000.00"),
        12,
    )
    assert (insured.rate, insured.coverage_ratio, insured.coverage_cap) == (D("0.012"), D("0.5"), D("100000"))
    assert requests[CoverKind.GUARANTEE].provider_id == guarantee.guarantor_id
    for person in (underwriter, guarantor):
        assert application.reference in Notification.objects.get(recipient=person).title
    assert Entry.objects.filter(kind="cover_request").count() == 2


def test_accepted_cover_with_conditions_and_own_terms_is_what_the_policy_and_the_claim_pay_by(
    bank, officer, insurance, underwriter
):
    application = ready(bank, insurance_product=insurance)
    request = cover_request_open(actor=officer, application=application, product=insurance)
    cover_request_accept(
        actor=underwriter,
        cover=request,
        conditions="借款企业按季度报送财务报表",
        rate=D("0.015"),
        coverage_ratio=D("0.4"),
        coverage_cap=D("80000"),
    )
    request.refresh_from_db()
    assert (request.status, request.conditions, request.decided_by) == (
        CR.ACCEPTED,
        "借款企业按季度报送财务报表",
        underwriter,
    )
    loan = disburse(officer, application, days_ago=400)
    policy = loan.cover_policies.get()
    assert (policy.cover_request, policy.rate, policy.coverage_ratio, policy.coverage_cap) == (
        request,
        D("0.015"),
        D("0.4"),
        D("80000.00"),
    )
    assert policy.premium == D("4500.00")  # 300,000 × 1.5% × 12/12
    loans_refresh_delinquency()
    claim = loan.claims.get()
    claim_submit(actor=officer, claim=claim)
    claim.refresh_from_db()
    # The loss is the whole 300,000 plus interest: 40% of it is above the accepted cap, so the cap pays.
    assert claim.coverage == D("80000.00")


def test_a_cover_is_decided_once(bank, officer, insurance, underwriter):
    request = cover_request_open(actor=officer, application=ready(bank, insurance_product=insurance), product=insurance)
    cover_request_accept(actor=underwriter, cover=request, conditions="")
    with pytest.raises(InvalidTransition):
        cover_request_accept(actor=underwriter, cover=request)
    with pytest.raises(InvalidTransition):
        cover_request_decline(actor=underwriter, cover=request, reason="重复")
    assert CoverRequest.objects.get(pk=request.pk).status == CR.ACCEPTED


def test_only_the_asked_providers_underwriters_decide(bank, officer, insurance):
    request = cover_request_open(actor=officer, application=ready(bank, insurance_product=insurance), product=insurance)
    rival = UserFactory(organisation=InsuranceProductFactory().insurer, role=Role.UNDERWRITER)
    for stranger in (rival, officer):
        with pytest.raises(PermissionDenied):
            cover_request_accept(actor=stranger, cover=request)
        with pytest.raises(PermissionDenied):
            cover_request_decline(actor=stranger, cover=request, reason="不承保")
    assert CoverRequest.objects.get(pk=request.pk).status == CR.REQUESTED


def test_another_bank_may_not_ask_for_cover_on_an_application_not_its_own(bank, insurance):
    stranger = UserFactory(organisation=BankFactory(), role=Role.BANK_OFFICER)
    with pytest.raises(PermissionDenied):
        cover_request_open(actor=stranger, application=ready(bank, insurance_product=insurance), product=insurance)


def test_a_decline_says_why(bank, officer, insurance, underwriter):
    request = cover_request_open(actor=officer, application=ready(bank, insurance_product=insurance), product=insurance)
    with pytest.raises(ValidationFailed):
        cover_request_decline(actor=underwriter, cover=request, reason="  ")
    cover_request_decline(actor=underwriter, cover=request, reason="质押专利剩余保护期不足")
    request.refresh_from_db()
    assert (request.status, request.decline_reason) == (CR.DECLINED, "质押专利剩余保护期不足")


def test_a_loan_whose_terms_include_cover_is_not_disbursed_until_the_cover_is_accepted(
    bank, officer, insurance, underwriter
):
    application = ready(bank, insurance_product=insurance)
    with pytest.raises(Conflict, match="insurance"):
        disburse(officer, application)  # not even asked
    request = cover_request_open(actor=officer, application=application, product=insurance)
    with pytest.raises(Conflict):
        disburse(officer, application)  # asked, not decided
    cover_request_decline(actor=underwriter, cover=request, reason="行业风险集中")
    with pytest.raises(Conflict):
        disburse(officer, application)  # declined
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.REGISTERED
    assert not Loan.objects.filter(application=application).exists()


def test_after_a_decline_the_bank_asks_another_insurer_and_disburses_on_its_cover(
    bank, officer, insurance, underwriter
):
    application = ready(bank, insurance_product=insurance)
    declined = cover_request_open(actor=officer, application=application, product=insurance)
    cover_request_decline(actor=underwriter, cover=declined, reason="行业风险集中")
    other = InsuranceProductFactory(coverage_ratio=D("0.6"))
    request = cover_request_open(actor=officer, application=application, product=other)
    application.refresh_from_db()
    assert application.insurance_product == other  # the bank's new choice is the terms' now
    cover_request_accept(actor=UserFactory(organisation=other.insurer, role=Role.UNDERWRITER), cover=request)
    loan = disburse(officer, application)
    assert loan.cover_policies.get().provider_id == other.insurer_id


def test_one_request_of_a_kind_stands_at_a_time(bank, officer, insurance):
    application = ready(bank, insurance_product=insurance)
    cover_request_open(actor=officer, application=application, product=insurance)
    with pytest.raises(Conflict):
        cover_request_open(actor=officer, application=application, product=InsuranceProductFactory())


def test_after_a_decline_the_bank_may_go_without_cover_its_product_does_not_require(
    bank, officer, insurance, underwriter
):
    application = ready(bank, insurance_product=insurance)
    request = cover_request_open(actor=officer, application=application, product=insurance)
    with pytest.raises(Conflict):  # the request still stands
        cover_go_without(actor=officer, cover=request)
    cover_request_decline(actor=underwriter, cover=request, reason="不承保")
    cover_go_without(actor=officer, cover=request)
    application.refresh_from_db()
    assert application.insurance_product is None
    assert not disburse(officer, application).cover_policies.exists()


def test_a_product_that_requires_insurance_cannot_go_without(bank, officer, insurance, underwriter):
    application = ready(bank, insurance_product=insurance)
    application.product.requires_insurance = True
    application.product.save(update_fields=["requires_insurance"])
    request = cover_request_open(actor=officer, application=application, product=insurance)
    cover_request_decline(actor=underwriter, cover=request, reason="不承保")
    with pytest.raises(Conflict, match="requires"):
        cover_go_without(actor=officer, cover=request)
    assert Application.objects.get(pk=application.pk).insurance_product == insurance


def test_the_bank_withdraws_a_request_and_it_can_no_longer_be_decided(bank, officer, insurance, underwriter):
    request = cover_request_open(actor=officer, application=ready(bank, insurance_product=insurance), product=insurance)
    with pytest.raises(PermissionDenied):
        cover_request_withdraw(actor=underwriter, cover=request)
    cover_request_withdraw(actor=officer, cover=request, reason="改由担保")
    with pytest.raises(InvalidTransition):
        cover_request_accept(actor=underwriter, cover=request)


def test_cover_is_not_decided_on_an_application_that_is_no_longer_going_ahead(bank, officer, insurance, underwriter):
    application = ready(bank, insurance_product=insurance)
    request = cover_request_open(actor=officer, application=application, product=insurance)
    Application.objects.filter(pk=application.pk).update(status=ApplicationStatus.REJECTED)
    with pytest.raises(Conflict, match="no longer"):
        cover_request_accept(actor=underwriter, cover=request)


def test_the_application_timeline_reads_the_cover_asked_and_decided(bank, officer, insurance, underwriter):
    application = ready(bank, insurance_product=insurance)
    request = cover_request_open(actor=officer, application=application, product=insurance)
    cover_request_accept(actor=underwriter, cover=request, conditions="按季报送财报")
    lines = [e.reason for e in application_timeline(application=application) if e.kind == "cover"]
    assert len(lines) == 2
    assert insurance.insurer.name in lines[0]
    assert "按季报送财报" in lines[1]


# --- Cover of an application that ends before disbursement lapses with it (issue 18, leftover) -------------


def test_a_rejection_closes_the_cover_it_asked_for_and_tells_each_provider(
    bank, officer, insurance, underwriter, django_capture_on_commit_callbacks
):
    """The bug: the requests stayed "requested" (or "accepted") for ever, live in the API and the database's
    one-live-request rule, after the application they were asked for had been rejected."""
    guarantee = GuaranteeProductFactory()
    guarantor = UserFactory(organisation=guarantee.guarantor, role=Role.UNDERWRITER)
    application = ready(bank, ApplicationStatus.APPROVED, insurance_product=insurance, guarantee_product=guarantee)
    waiting = cover_request_open(actor=officer, application=application, product=insurance)
    accepted = cover_request_open(actor=officer, application=application, product=guarantee)
    cover_request_accept(actor=guarantor, cover=accepted, conditions="按季报送财报")
    with django_capture_on_commit_callbacks(execute=True):
        application_reject(actor=officer, application=application, reason_code="high_risk", comment="经营风险上升")
    for request, person in ((waiting, underwriter), (accepted, guarantor)):
        request.refresh_from_db()
        assert (request.status, request.lapse_reason) == (CR.LAPSED, CoverLapseReason.APPLICATION_REJECTED)
        assert Entry.objects.filter(
            kind="status_change", subject_type="risksharing.coverrequest", subject_id=request.pk
        ).exists()
        [told] = Notification.objects.filter(recipient=person, title__contains="lapsed")
        assert application.reference in told.title
    with pytest.raises(InvalidTransition):
        cover_request_accept(actor=underwriter, cover=waiting)


def test_the_firms_withdrawal_and_its_declining_the_offer_close_the_cover_as_withdrawn(bank, officer, insurance):
    for move in (application_withdraw, application_decline_offer):
        application = ready(bank, ApplicationStatus.APPROVED, insurance_product=insurance)
        request = cover_request_open(actor=officer, application=application, product=insurance)
        owner = UserFactory(organisation=application.enterprise.organisation, role=Role.SME_OWNER)
        move(actor=owner, application=application, reason="不再需要")
        request.refresh_from_db()
        assert (request.status, request.lapse_reason) == (CR.LAPSED, CoverLapseReason.APPLICATION_WITHDRAWN)


def test_an_expiry_closes_the_cover_as_expired(bank, officer, insurance):
    application = ready(bank, ApplicationStatus.APPROVED, insurance_product=insurance)
    request = cover_request_open(actor=officer, application=application, product=insurance)
    application_expire(application=application, reason="offer not taken up in time")
    request.refresh_from_db()
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.EXPIRED
    assert (request.status, request.lapse_reason) == (CR.LAPSED, CoverLapseReason.APPLICATION_EXPIRED)


def test_a_decided_request_keeps_its_decision_when_the_application_ends(bank, officer, insurance, underwriter):
    application = ready(bank, ApplicationStatus.APPROVED, insurance_product=insurance)
    declined = cover_request_open(actor=officer, application=application, product=insurance)
    cover_request_decline(actor=underwriter, cover=declined, reason="行业风险集中")
    application_reject(actor=officer, application=application, reason_code="high_risk")
    declined.refresh_from_db()
    assert (declined.status, declined.lapse_reason) == (CR.DECLINED, "")


def test_the_sweep_closes_cover_left_open_by_an_application_ended_past_the_workflow(
    bank, officer, insurance, underwriter, django_capture_on_commit_callbacks
):
    """Requests of applications that ended before the fix (or by a move that went around lending) are closed by
    the nightly sweep, through the same service: audited, chained and told."""
    application = ready(bank, ApplicationStatus.APPROVED, insurance_product=insurance)
    request = cover_request_open(actor=officer, application=application, product=insurance)
    live = cover_request_open(
        actor=officer, application=ready(bank, insurance_product=insurance), product=insurance
    )  # still going ahead: left alone
    Application.objects.filter(pk=application.pk).update(status=ApplicationStatus.WITHDRAWN)
    with django_capture_on_commit_callbacks(execute=True):
        assert cover_requests_lapse_ended() == 1
    assert cover_requests_lapse_ended() == 0  # idempotent
    request.refresh_from_db()
    assert (request.status, request.lapse_reason) == (CR.LAPSED, CoverLapseReason.APPLICATION_WITHDRAWN)
    assert CoverRequest.objects.get(pk=live.pk).status == CR.REQUESTED
    [told] = Notification.objects.filter(recipient=underwriter, title__contains="lapsed")
    assert application.reference in told.title


def test_the_application_timeline_reads_the_cover_lapsing(bank, officer, insurance):
    application = ready(bank, ApplicationStatus.APPROVED, insurance_product=insurance)
    cover_request_open(actor=officer, application=application, product=insurance)
    application_reject(actor=officer, application=application, reason_code="high_risk")
    lines = [e.reason for e in application_timeline(application=application) if e.kind == "cover"]
    assert len(lines) == 2
    assert "lapsed" in lines[1]
    assert "rejected" in lines[1]
