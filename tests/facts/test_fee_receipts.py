"""An annual fee receipt for pledged IP: the owner uploads it, only the bank holding the pledge confirms it, and
the confirmation is a fact from the receipt that sets the asset's record and clears the monitor's fee flag."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.factories import BankOfficerFactory, EnterpriseFactory, IPAssetFactory, UserFactory, loan_for
from tongzhirong.accounts.models import Role
from tongzhirong.core.errors import Conflict, PermissionDenied, ValidationFailed
from tongzhirong.core.reference import SHANGHAI
from tongzhirong.facts.catalogue import Source
from tongzhirong.facts.models import ReceiptStatus
from tongzhirong.financing.fee_receipts import fee_receipt_confirm, fee_receipt_reject, fee_receipt_upload
from tongzhirong.financing.models import ApplicationAsset
from tongzhirong.monitoring.models import CollateralFlag, FlagKind, FlagStatus
from tongzhirong.monitoring.services import collateral_monitor_run

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name="收据.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def pledge(settings, tmp_path):
    return _pledge(settings, tmp_path)


def _pledge(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    firm = EnterpriseFactory()
    today = timezone.localdate()
    loan = loan_for(firm, disbursed=today - dt.timedelta(days=60))
    asset = IPAssetFactory(owner=firm, annual_fee_paid_through=today - dt.timedelta(days=5))
    ApplicationAsset.objects.create(application=loan.application, asset=asset)
    owner = UserFactory(organisation=firm.organisation, role=Role.SME_OWNER)
    officer = UserFactory(organisation=loan.bank, role=Role.BANK_OFFICER)
    return loan, asset, owner, officer


def test_a_confirmed_receipt_updates_the_pledged_asset_and_clears_the_fee_flag(pledge):
    loan, asset, owner, officer = pledge
    collateral_monitor_run()
    flag = CollateralFlag.objects.get(loan=loan, kind=FlagKind.ANNUAL_FEE_OVERDUE, status=FlagStatus.OPEN)
    paid = timezone.localdate() + dt.timedelta(days=360)

    receipt = fee_receipt_upload(actor=owner, asset=asset, paid_through=paid, upload=pdf())
    confirmed = fee_receipt_confirm(actor=officer, receipt=receipt)
    collateral_monitor_run()

    assert confirmed.status == ReceiptStatus.CONFIRMED
    assert (confirmed.fact.source, confirmed.fact.value, confirmed.fact.fetched_by) == (
        Source.FEE_RECEIPT,
        paid.isoformat(),
        officer,
    )
    asset.refresh_from_db()
    assert asset.annual_fee_paid_through == paid
    flag.refresh_from_db()
    assert flag.status == FlagStatus.RESOLVED
    assert "Official fee receipt confirmed by the pledgee bank" in flag.resolution


@pytest.mark.parametrize("hour", [0, 7, 12])
def test_the_flag_names_the_receipt_that_cleared_it_at_any_hour_of_the_day_in_nantong(settings, tmp_path, hour):
    """Until 08:00 in Nantong the UTC date is still the day before: the monitor compared the fact's UTC day with the
    flag's Nantong day and closed the flag as "no longer holds", and the provenance showed yesterday's date."""
    with time_machine.travel(dt.datetime(2026, 12, 8, hour, 30, tzinfo=SHANGHAI), tick=False):
        loan, asset, owner, officer = _pledge(settings, tmp_path)
        collateral_monitor_run()
        receipt = fee_receipt_upload(actor=owner, asset=asset, paid_through=dt.date(2027, 12, 1), upload=pdf())
        fee_receipt_confirm(actor=officer, receipt=receipt)
        collateral_monitor_run()
    flag = CollateralFlag.objects.get(loan=loan, kind=FlagKind.ANNUAL_FEE_OVERDUE)
    assert flag.status == FlagStatus.RESOLVED
    assert "Official fee receipt confirmed by the pledgee bank" in flag.resolution
    assert "observed 2026-12-08" in flag.resolution


def test_only_the_bank_holding_the_pledge_confirms(pledge):
    _, asset, owner, _ = pledge
    receipt = fee_receipt_upload(
        actor=owner, asset=asset, paid_through=timezone.localdate() + dt.timedelta(days=30), upload=pdf()
    )
    for stranger in (BankOfficerFactory(), owner):
        with pytest.raises(PermissionDenied):
            fee_receipt_confirm(actor=stranger, receipt=receipt)


def test_a_rejected_receipt_changes_nothing_and_cannot_be_confirmed_later(pledge):
    _, asset, owner, officer = pledge
    before = asset.annual_fee_paid_through
    receipt = fee_receipt_upload(
        actor=owner, asset=asset, paid_through=timezone.localdate() + dt.timedelta(days=30), upload=pdf()
    )

    fee_receipt_reject(actor=officer, receipt=receipt, reason="收据金额与年费标准不符")

    asset.refresh_from_db()
    assert asset.annual_fee_paid_through == before
    with pytest.raises(Conflict):
        fee_receipt_confirm(actor=officer, receipt=receipt)


def test_a_receipt_must_be_a_pdf_or_image_and_move_the_date_forward(pledge):
    _, asset, owner, _ = pledge
    with pytest.raises(ValidationFailed) as refused:
        fee_receipt_upload(
            actor=owner,
            asset=asset,
            paid_through=asset.annual_fee_paid_through,
            upload=SimpleUploadedFile("r.pdf", b"MZ\x90\x00 not a pdf"),
        )
    assert set(refused.value.errors) == {"file", "paid_through"}


def test_an_unpledged_asset_waits_for_the_register(pledge):
    _, _, owner, _ = pledge
    free = IPAssetFactory(owner=owner.organisation.enterprise)
    with pytest.raises(Conflict):
        fee_receipt_upload(actor=owner, asset=free, paid_through=timezone.localdate(), upload=pdf())
