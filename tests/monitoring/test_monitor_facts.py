"""The monitor and the register's facts: a pledged asset's record is kept current by the register feed (not by
the applicant), each flag quotes the fact it rests on, and a flag the register's newer fact clears says so."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import EnterpriseFactory, IPAssetFactory, UserFactory, loan_for
from tests.facts.simulator import register_record
from tongzhirong.accounts.models import Role
from tongzhirong.assets.services import ip_asset_update
from tongzhirong.core.errors import ObjectLocked
from tongzhirong.facts.sources.refresh import facts_refresh
from tongzhirong.financing.models import ApplicationAsset
from tongzhirong.monitoring.models import CollateralFlag, FlagKind, FlagStatus
from tongzhirong.monitoring.services import collateral_monitor_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def pledged():
    """A running loan on a patent whose fees, as the register last said, ran out last month."""
    firm = EnterpriseFactory()
    today = timezone.localdate()
    loan = loan_for(firm, disbursed=today - dt.timedelta(days=90))
    asset = IPAssetFactory(owner=firm, annual_fee_paid_through=today - dt.timedelta(days=20))
    ApplicationAsset.objects.create(application=loan.application, asset=asset)
    return loan, asset


def test_the_applicant_cannot_correct_a_pledged_asset_but_the_register_feed_clears_the_flag(simulator, pledged):
    loan, asset = pledged
    collateral_monitor_run()
    flag = CollateralFlag.objects.get(loan=loan, kind=FlagKind.ANNUAL_FEE_OVERDUE)
    with pytest.raises(ObjectLocked):
        ip_asset_update(actor=_owner(loan), asset=asset, annual_fee_paid_through=timezone.localdate())
    paid = timezone.localdate() + dt.timedelta(days=345)
    simulator.load([register_record(asset, annual_fee_paid_through=paid.isoformat())])

    facts_refresh(enterprise_ids=[asset.owner_id], sources=["ip_register"])
    collateral_monitor_run()

    flag.refresh_from_db()
    assert flag.status == FlagStatus.RESOLVED
    assert flag.resolution.startswith(f"Cleared by the register: Annual fee paid through is now {paid.isoformat()}.")
    assert f"CNIPA-{asset.identifier}-annual_fee_paid_through" in flag.resolution
    asset.refresh_from_db()
    assert asset.annual_fee_paid_through == paid


def test_a_flag_quotes_the_register_fact_it_rests_on(simulator, pledged):
    loan, asset = pledged
    simulator.load([register_record(asset, legal_status="lapsed")])

    facts_refresh(enterprise_ids=[asset.owner_id], sources=["ip_register"])
    collateral_monitor_run()

    flag = CollateralFlag.objects.get(loan=loan, kind=FlagKind.LEGAL_STATUS, status=FlagStatus.OPEN)
    assert f"CNIPA-{asset.identifier}-legal_status" in flag.detail
    assert "IP register" in flag.detail


def _owner(loan):
    return UserFactory(organisation=loan.borrower.organisation, role=Role.SME_OWNER)
