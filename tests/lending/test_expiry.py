"""Applications left waiting on the firm expire (the nightly sweep); those waiting on the bank never do."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from tests.factories import ApplicationFactory, BankFactory, InsuranceProductFactory, UserFactory
from tongzhirong.accounts.models import Role
from tongzhirong.core.models import StatusChange
from tongzhirong.financing.models import Application, ApplicationStatus
from tongzhirong.financing.services import application_change_status
from tongzhirong.lending.endings import applications_expire_stale
from tongzhirong.lending.tasks import expire_stale_applications
from tongzhirong.risksharing.models import CoverLapseReason
from tongzhirong.risksharing.models import CoverRequestStatus as CR
from tongzhirong.risksharing.services import cover_request_open

pytestmark = pytest.mark.django_db
S = ApplicationStatus


def _waiting(status, days: float, **fields) -> Application:
    """An application of ``status`` that entered it ``days`` ago (no status change since)."""
    with time_machine.travel(timezone.now() - dt.timedelta(days=days), tick=False):
        return ApplicationFactory(status=status, **fields)


def test_the_firms_silence_expires_an_information_request_and_an_offer_after_30_days(settings):
    settings.APPLICATION_EXPIRY_DAYS = 30
    info, offer = _waiting(S.INFO_REQUESTED, 31), _waiting(S.APPROVED, 45)
    fresh = _waiting(S.INFO_REQUESTED, 29)
    # Waiting on the bank: late, never expired (its service level says so).
    banks_turn = [_waiting(status, 90) for status in (S.SUBMITTED, S.UNDER_REVIEW)]
    assert applications_expire_stale() == 2
    statuses = dict(Application.objects.values_list("pk", "status"))
    assert (statuses[info.pk], statuses[offer.pk], statuses[fresh.pk]) == (S.EXPIRED, S.EXPIRED, S.INFO_REQUESTED)
    assert [statuses[a.pk] for a in banks_turn] == [S.SUBMITTED, S.UNDER_REVIEW]
    change = StatusChange.objects.filter(object_id=offer.pk, to_status=S.EXPIRED).get()
    assert change.actor is None
    assert change.reason == "No reply from the firm for 30 days: an offer not taken up"
    assert expire_stale_applications() == 0  # the task, again: nothing left


def test_the_days_count_from_the_latest_move_not_from_the_application(settings):
    settings.APPLICATION_EXPIRY_DAYS = 30
    application = _waiting(S.UNDER_REVIEW, 60)
    officer = UserFactory(organisation=application.product.bank, role=Role.BANK_OFFICER)
    with time_machine.travel(timezone.now() - dt.timedelta(days=10), tick=False):
        application_change_status(actor=officer, application=application, to=S.INFO_REQUESTED, reason="营业执照")
    assert applications_expire_stale() == 0
    with time_machine.travel(timezone.now() + dt.timedelta(days=21), tick=False):
        assert applications_expire_stale() == 1


def test_an_expired_offer_lets_the_cover_it_asked_for_lapse(settings):
    settings.APPLICATION_EXPIRY_DAYS = 30
    bank = BankFactory()
    insurance = InsuranceProductFactory(premium_rate=Decimal("0.012"))
    offer = _waiting(S.APPROVED, 31, product__bank=bank, insurance_product=insurance)
    officer = UserFactory(organisation=bank, role=Role.BANK_OFFICER)
    request = cover_request_open(actor=officer, application=offer, product=insurance)
    assert applications_expire_stale() == 1
    request.refresh_from_db()
    assert (request.status, request.lapse_reason) == (CR.LAPSED, CoverLapseReason.APPLICATION_EXPIRED)


def test_the_firm_is_reminded_once_a_week_before_its_application_expires(settings):
    from django.utils import translation

    from tests.factories import UserFactory as People
    from tongzhirong.lending.endings import applications_remind_before_expiry
    from tongzhirong.notifications.models import Notification

    settings.APPLICATION_EXPIRY_DAYS = 30
    offer = _waiting(S.APPROVED, 24)
    owner = People(organisation=offer.enterprise.organisation, role=Role.SME_OWNER)
    quiet = [_waiting(S.INFO_REQUESTED, 22), _waiting(S.SUBMITTED, 25), _waiting(S.INFO_REQUESTED, 31)]
    for application in quiet:
        People(organisation=application.enterprise.organisation, role=Role.SME_OWNER)
    with translation.override("zh-hans"):
        assert applications_remind_before_expiry() == 1
    (notice,) = Notification.objects.all()
    assert notice.recipient == owner
    expires = timezone.localdate(timezone.now() + dt.timedelta(days=6))
    assert notice.title == f"申请 {offer.reference} 将于 {expires.isoformat()} 过期，请在此之前回复银行的授信方案。"
    assert applications_remind_before_expiry() == 0  # once per stage
    assert Notification.objects.count() == 1
