"""The daily collateral health monitor: each condition flagged once, the right people told once, flags resolved
when the condition clears, the loan's health following its open flags."""

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings

from tests.factories import (
    CoOwnerFactory,
    EnterpriseFactory,
    GuaranteeProductFactory,
    InsuranceProductFactory,
    IPAssetFactory,
    UserFactory,
    loan_for,
    pay_instalments,
)
from tongzhirong.accounts.models import Role
from tongzhirong.assets.models import LegalStatus
from tongzhirong.financing.models import ApplicationAsset
from tongzhirong.monitoring.models import CollateralFlag, CollateralHealth, FlagKind, FlagStatus
from tongzhirong.monitoring.services import collateral_flag_accept, collateral_health, collateral_monitor_run
from tongzhirong.monitoring.tasks import monitor_collateral
from tongzhirong.notifications.models import Notification

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def world():
    """An insured loan (1 year from 2026-06-01, maturing 2027-06-01) on one healthy patent, with the people
    of the borrower, the bank, the insurer, and a bystander bank."""
    firm = EnterpriseFactory()
    insurance = InsuranceProductFactory()
    loan = loan_for(firm, disbursed=dt.date(2026, 6, 1), insurance_product=insurance)
    asset = IPAssetFactory(owner=firm, annual_fee_paid_through=dt.date(2027, 5, 10))
    ApplicationAsset.objects.create(application=loan.application, asset=asset)
    people = {
        "sme": UserFactory(organisation=firm.organisation, role=Role.SME_OWNER),
        "bank": UserFactory(organisation=loan.bank, role=Role.BANK_OFFICER),
        "insurer": UserFactory(organisation=insurance.insurer, role=Role.UNDERWRITER),
        "bystander": UserFactory(organisation=GuaranteeProductFactory().guarantor, role=Role.UNDERWRITER),
    }
    return loan, asset, people


def open_kinds(loan):
    return sorted(CollateralFlag.objects.filter(loan=loan, status=FlagStatus.OPEN).values_list("kind", flat=True))


def notices(user):
    return list(
        Notification.objects.filter(recipient=user, dedupe_key__startswith="collateral-flag:").values_list(
            "dedupe_key", flat=True
        )
    )


def run():
    return collateral_monitor_run(as_of=TODAY)


def test_a_healthy_pledge_raises_no_flag(world):
    loan, _, _ = world
    result = run()
    assert (result.checked, result.opened) == (1, [])
    assert open_kinds(loan) == []


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        ({"annual_fee_paid_through": TODAY + dt.timedelta(days=60)}, FlagKind.ANNUAL_FEE_DUE),
        ({"annual_fee_paid_through": TODAY - dt.timedelta(days=1)}, FlagKind.ANNUAL_FEE_OVERDUE),
        ({"legal_status": LegalStatus.INVALIDATED}, FlagKind.LEGAL_STATUS),
        ({"legal_status": LegalStatus.LAPSED}, FlagKind.LEGAL_STATUS),
        ({"invalidation_pending": True}, FlagKind.INVALIDATION_PENDING),
        ({"expiry_date": dt.date(2027, 5, 31)}, FlagKind.SHORT_LIFE),
    ],
)
def test_each_condition_is_flagged_once_across_two_runs(world, change, kind):
    loan, asset, _ = world
    type(asset).objects.filter(pk=asset.pk).update(**change)
    first, second = run(), run()
    assert open_kinds(loan) == [kind]
    assert (len(first.opened), len(second.opened)) == (1, 0)


def test_a_fee_due_in_61_days_is_not_yet_flagged(world):
    loan, asset, _ = world
    type(asset).objects.filter(pk=asset.pk).update(annual_fee_paid_through=TODAY + dt.timedelta(days=61))
    run()
    assert open_kinds(loan) == []


def test_the_borrower_the_bank_and_the_insurer_are_told_once_across_two_runs(world):
    loan, asset, people = world
    type(asset).objects.filter(pk=asset.pk).update(legal_status=LegalStatus.INVALIDATED)
    run()
    run()
    [flag] = CollateralFlag.objects.filter(loan=loan)
    key = f"collateral-flag:{flag.pk}"
    for who in ("sme", "bank", "insurer"):
        assert notices(people[who]) == [key], who
    assert notices(people["bystander"]) == []
    assert flag.notified_at is not None


def test_a_guarantor_bound_to_the_loan_is_told_too():
    firm = EnterpriseFactory()
    guarantee = GuaranteeProductFactory()
    loan = loan_for(firm, disbursed=dt.date(2026, 6, 1), guarantee_product=guarantee)
    asset = IPAssetFactory(owner=firm, legal_status=LegalStatus.LAPSED)
    ApplicationAsset.objects.create(application=loan.application, asset=asset)
    guarantor = UserFactory(organisation=guarantee.guarantor, role=Role.UNDERWRITER)
    run()
    assert len(notices(guarantor)) == 1


def test_a_flag_is_resolved_when_its_condition_clears_and_reopens_as_a_new_flag(world):
    loan, asset, people = world
    type(asset).objects.filter(pk=asset.pk).update(annual_fee_paid_through=TODAY - dt.timedelta(days=3))
    run()
    [overdue] = CollateralFlag.objects.filter(loan=loan)
    type(asset).objects.filter(pk=asset.pk).update(annual_fee_paid_through=dt.date(2027, 11, 1))  # fees paid
    result = run()
    overdue.refresh_from_db()
    assert result.resolved == [overdue.pk]
    assert overdue.status == FlagStatus.RESOLVED
    assert overdue.resolved_at is not None
    type(asset).objects.filter(pk=asset.pk).update(annual_fee_paid_through=TODAY - dt.timedelta(days=1))
    run()
    assert CollateralFlag.objects.filter(loan=loan, status=FlagStatus.OPEN).exclude(pk=overdue.pk).count() == 1
    assert len(notices(people["sme"])) == 2  # one per flag


def test_a_fee_falling_overdue_turns_the_watch_into_an_alert(world):
    loan, asset, _ = world
    type(asset).objects.filter(pk=asset.pk).update(annual_fee_paid_through=TODAY + dt.timedelta(days=10))
    collateral_monitor_run(as_of=TODAY)
    assert open_kinds(loan) == [FlagKind.ANNUAL_FEE_DUE]
    collateral_monitor_run(as_of=TODAY + dt.timedelta(days=11))
    assert open_kinds(loan) == [FlagKind.ANNUAL_FEE_OVERDUE]


def test_a_co_owner_added_after_the_pledge_is_flagged_until_the_bank_accepts_it(world):
    loan, asset, people = world
    CoOwnerFactory(asset=asset, name="南通大学")  # recorded after the loan was disbursed
    run()
    [flag] = CollateralFlag.objects.filter(loan=loan, kind=FlagKind.CO_OWNERS_CHANGED)
    assert "南通大学" in flag.detail
    collateral_flag_accept(actor=people["bank"], flag=flag, note="已取得南通大学书面同意")
    run()
    flag.refresh_from_db()
    assert flag.status == FlagStatus.RESOLVED
    assert open_kinds(loan) == []


def test_a_co_owner_known_at_the_pledge_is_no_change():
    firm = EnterpriseFactory()
    asset = IPAssetFactory(owner=firm, annual_fee_paid_through=dt.date(2027, 5, 10))
    co_owner = CoOwnerFactory(asset=asset, name="南通大学", consent_given=True)
    loan = loan_for(firm, disbursed=dt.date(2026, 6, 1))
    loan.__class__.objects.filter(pk=loan.pk).update(disbursed_at=co_owner.updated_at)  # pledged after consent
    ApplicationAsset.objects.create(application=loan.application, asset=asset)
    run()
    assert open_kinds(loan) == []
    asset.co_owners.all().delete()  # the registry no longer lists the co-owner
    run()
    assert open_kinds(loan) == [FlagKind.CO_OWNERS_CHANGED]


def test_only_assets_pledged_to_loans_at_risk_are_checked(world):
    loan, asset, _ = world
    type(asset).objects.filter(pk=asset.pk).update(legal_status=LegalStatus.EXPIRED)
    run()
    assert open_kinds(loan) == [FlagKind.LEGAL_STATUS]
    pay_instalments(loan)  # repaid: the pledge is released, nothing left to watch
    result = run()
    assert open_kinds(loan) == []
    assert result.checked == 0
    assert len(result.resolved) == 1


def test_the_loans_health_follows_its_open_flags(world):
    loan, asset, _ = world
    assert collateral_health(loan.collateral_flags.all()) == CollateralHealth.OK
    type(asset).objects.filter(pk=asset.pk).update(invalidation_pending=True)
    run()
    assert collateral_health(loan.collateral_flags.all()) == CollateralHealth.WATCH
    type(asset).objects.filter(pk=asset.pk).update(legal_status=LegalStatus.INVALIDATED)
    run()
    assert collateral_health(loan.collateral_flags.all()) == CollateralHealth.ALERT


def test_the_task_runs_daily_on_the_beat_and_reports_its_counts(world):
    _loan, asset, _ = world
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"].endswith("monitor_collateral"))
    assert entry["schedule"].hour == {1}
    type(asset).objects.filter(pk=asset.pk).update(legal_status=LegalStatus.INVALIDATED)
    counts = monitor_collateral.delay().get()
    # The borrower's owner, the insurer's two underwriters (one accepted the cover before disbursement) and the
    # bank's two officers (one disbursed the loan).
    assert counts == {"checked": 1, "opened": 1, "resolved": 0, "notified": 5}
    assert monitor_collateral.delay().get()["opened"] == 0


def test_the_monitor_does_not_touch_the_principal(world):
    loan, _, _ = world
    run()
    loan.refresh_from_db()
    assert loan.outstanding_principal == Decimal("1200000.00")
