"""Fee receipts on the pages (issue 17, item 5): the owner of a pledged patent whose fee is overdue uploads the
office's receipt on the asset's page; the bank holding the pledge confirms or rejects it on the loan's page, and
a confirmation clears the monitor's fee flag at once. Nobody else gets near either."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.factories import BankOfficerFactory, EnterpriseFactory, IPAssetFactory, UserFactory
from tests.facts.test_fee_receipts import PDF, pledge  # noqa: F401 (the fixture)
from tongzhirong.accounts.models import Role
from tongzhirong.facts.models import FeeReceipt, ReceiptStatus
from tongzhirong.financing.fee_receipts import fee_receipt_upload
from tongzhirong.financing.models import ApplicationAsset
from tongzhirong.monitoring.models import CollateralFlag, FlagKind, FlagStatus
from tongzhirong.monitoring.services import collateral_monitor_run

pytestmark = pytest.mark.django_db

PAID = (timezone.localdate() + dt.timedelta(days=360)).isoformat()


def asset_url(asset):
    return reverse("web:sme-asset", args=[asset.pk])


def loan_url(loan):
    return reverse("web:bank-loan", args=[loan.pk])


def upload(client, asset, content=PDF, name="收据.pdf"):
    body = {
        "action": "fee-receipt",
        "receipt-paid_through": PAID,
        "receipt-file": SimpleUploadedFile(name, content),
    }
    return client.post(asset_url(asset), body, follow=True)


@pytest.fixture
def submitted(pledge):  # noqa: F811
    loan, asset, owner, officer = pledge
    collateral_monitor_run()
    receipt = fee_receipt_upload(
        actor=owner, asset=asset, paid_through=dt.date.fromisoformat(PAID), upload=SimpleUploadedFile("r.pdf", PDF)
    )
    return loan, receipt, officer


def test_the_owner_of_an_overdue_pledged_patent_uploads_its_receipt_and_is_told_what_comes_next(
    client,
    pledge,  # noqa: F811
):
    _, asset, owner, _ = pledge
    client.force_login(owner)
    before = client.get(asset_url(asset)).content.decode()
    assert "Overdue" in before
    assert 'name="receipt-file"' in before

    page = upload(client, asset).content.decode()

    receipt = FeeReceipt.objects.get(asset=asset)
    assert (receipt.status, receipt.paid_through.isoformat()) == (ReceiptStatus.SUBMITTED, PAID)
    assert "Receipt uploaded: the bank holding the pledge checks it." in page
    assert "waiting for the bank to check it" in page


def test_the_page_speaks_chinese(client, settings, pledge):  # noqa: F811
    settings.LANGUAGE_CODE = "zh-hans"
    _, asset, owner, _ = pledge
    client.force_login(owner)
    page = upload(client, asset).content.decode()
    assert "收据已上传" in page
    assert "质押专利的年费" in page


def test_a_crafted_file_is_refused_with_the_reason(client, pledge):  # noqa: F811
    _, asset, owner, _ = pledge
    client.force_login(owner)

    script = upload(client, asset, b"<html><script>alert(1)</script></html>", name="收据.pdf").content.decode()
    disguised = upload(client, asset, b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, name="收据.pdf").content.decode()

    assert "Only PDF, PNG or JPEG files are accepted." in script
    assert "but its name 收据.pdf says otherwise" in disguised
    assert not FeeReceipt.objects.exists()


def test_another_enterprise_cannot_upload_for_the_asset(client, pledge):  # noqa: F811
    _, asset, _, _ = pledge
    stranger = UserFactory(organisation=EnterpriseFactory().organisation, role=Role.SME_OWNER)
    client.force_login(stranger)
    assert upload(client, asset).status_code == 404
    assert not FeeReceipt.objects.exists()


def test_an_unpledged_patent_shows_no_receipt_form(client, pledge):  # noqa: F811
    _, asset, owner, _ = pledge
    free = IPAssetFactory(owner=asset.owner, annual_fee_paid_through=None)
    client.force_login(owner)
    assert 'name="receipt-file"' not in client.get(asset_url(free)).content.decode()


def test_the_pledgee_bank_confirms_and_the_fee_flag_clears_at_once(client, submitted):
    loan, receipt, officer = submitted
    client.force_login(officer)
    before = client.get(loan_url(loan)).content.decode()
    assert "Annual fee overdue" in before
    assert 'value="confirm-receipt"' in before

    page = client.post(
        loan_url(loan), {"action": "confirm-receipt", "receipt": receipt.pk, "confirm": "yes"}, follow=True
    ).content.decode()

    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.CONFIRMED
    assert "Receipt confirmed:" in page
    flag = CollateralFlag.objects.get(loan=loan, kind=FlagKind.ANNUAL_FEE_OVERDUE)
    assert flag.status == FlagStatus.RESOLVED  # no monitor run in between
    assert "No open collateral flags." in page


def test_one_click_does_not_decide_a_receipt(client, submitted):
    loan, receipt, officer = submitted
    client.force_login(officer)
    page = client.post(loan_url(loan), {"action": "confirm-receipt", "receipt": receipt.pk}, follow=True)
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.SUBMITTED
    assert "Tick the box to confirm" in page.content.decode()


def test_a_rejection_needs_a_reason_and_the_owner_reads_it(client, submitted):
    loan, receipt, officer = submitted
    client.force_login(officer)
    field = f"receipt-{receipt.pk}-reason"
    blank = client.post(loan_url(loan), {"action": "reject-receipt", "receipt": receipt.pk, "confirm": "yes"})
    assert blank.status_code == 200
    assert "This field is required." in blank.content.decode()

    done = client.post(
        loan_url(loan),
        {"action": "reject-receipt", "receipt": receipt.pk, "confirm": "yes", field: "收据金额与年费标准不符"},
        follow=True,
    ).content.decode()
    assert "Receipt rejected" in done

    client.force_login(receipt.uploaded_by)
    assert "收据金额与年费标准不符" in client.get(asset_url(receipt.asset)).content.decode()


def test_another_bank_neither_sees_nor_confirms_the_receipt(client, submitted):
    loan, receipt, _ = submitted
    client.force_login(BankOfficerFactory())
    assert client.get(loan_url(loan)).status_code == 404
    posted = client.post(loan_url(loan), {"action": "confirm-receipt", "receipt": receipt.pk, "confirm": "yes"})
    assert posted.status_code == 404
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.SUBMITTED


def test_a_pledged_patent_with_no_fee_record_asks_for_the_receipt_and_a_paid_one_does_not(client, pledge):  # noqa: F811
    loan, asset, owner, _ = pledge
    unknown = IPAssetFactory(owner=asset.owner, annual_fee_paid_through=None)
    paid = IPAssetFactory(owner=asset.owner, annual_fee_paid_through=timezone.localdate() + dt.timedelta(days=300))
    for pledged in (unknown, paid):
        ApplicationAsset.objects.create(application=loan.application, asset=pledged)
    client.force_login(owner)

    asks = client.get(asset_url(unknown)).content.decode()
    settled = client.get(asset_url(paid)).content.decode()

    assert "No record says how far the annual fee is paid" in asks
    assert 'name="receipt-file"' in asks
    assert "Fee paid" in settled
    assert 'name="receipt-file"' not in settled
