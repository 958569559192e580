"""The signals that read the register's facts about a right: CNIPA's notified list imported from a file, the
abstract, a recent transfer, a mark's evidence of use."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.factories import EnterpriseFactory, IPAssetFactory
from tongzhirong.assets.models import FilingFlag
from tongzhirong.core.errors import PermissionDenied, ValidationFailed
from tongzhirong.core.reference import IPType
from tongzhirong.facts.flagging import filing_flags_refresh, notified_list_import
from tongzhirong.facts.models import Fact
from tongzhirong.facts.services import fact_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def firm():
    return EnterpriseFactory(employees=40)


def live(firm):
    return {(f.code, f.asset_id) for f in FilingFlag.objects.filter(enterprise=firm, cleared_at__isnull=True)}


def record(platform, asset, name, value, reference="CNIPA", days_ago=1):
    return fact_record(
        actor=platform,
        enterprise=asset.owner,
        asset=asset,
        name=name,
        value=value,
        reference=reference,
        observed_at=timezone.now() - dt.timedelta(days=days_ago),
    )


def test_the_notified_list_flags_the_platforms_patents_it_names(firm, platform):
    named = IPAssetFactory(owner=firm, title="一种锂电池隔膜")
    other = IPAssetFactory(owner=firm, title="一种船舶用锚链清洗设备")
    rows = [
        {"application_number": named.identifier, "batch": "2026年第3批", "notified_on": "2026-11-02"},
        {"application_number": "201710601862.3", "batch": "2026年第3批", "notified_on": "2026-11-02"},  # elsewhere
    ]

    result = notified_list_import(actor=platform, rows=rows)

    assert result.matched == [named.identifier]
    assert live(firm) == {("notified_list", named.pk)}
    fact = Fact.objects.get(asset=named, name="abnormal_filing_notified")
    assert (fact.value, fact.reference, fact.source) == (True, "2026年第3批", "ip_register")
    assert FilingFlag.objects.get(asset=named).evidence["list"] == "2026年第3批"
    assert not FilingFlag.objects.filter(asset=other).exists()


def test_a_malformed_row_refuses_the_whole_list_naming_it(firm, platform):
    named = IPAssetFactory(owner=firm)
    rows = [
        {"application_number": named.identifier, "batch": "B1", "notified_on": "2026-11-02"},
        {"application_number": "12345", "batch": "", "notified_on": "soon"},
    ]

    with pytest.raises(ValidationFailed) as refused:
        notified_list_import(actor=platform, rows=rows)

    assert set(refused.value.errors["rows"]) == {1}
    assert set(refused.value.errors["rows"][1]) == {"application_number", "batch", "notified_on"}
    assert not Fact.objects.filter(name="abnormal_filing_notified").exists()


def test_only_the_platform_imports_the_list(firm, owner):
    with pytest.raises(PermissionDenied):
        notified_list_import(actor=owner, rows=[])


def test_the_command_reads_a_csv_file(tmp_path, firm, platform):
    named = IPAssetFactory(owner=firm)
    path = tmp_path / "notified.csv"
    path.write_text(f"application_number,batch,notified_on\n{named.identifier},2026-3,2026-11-02\n", encoding="utf-8")
    out = StringIO()

    call_command("import_notified_list", str(path), "--user", platform.username, stdout=out)

    assert named.identifier in out.getvalue()
    assert live(firm) == {("notified_list", named.pk)}
    path.write_text("application_number,batch,notified_on\nnot-a-number,2026-3,2026-11-02\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_notified_list", str(path), "--user", platform.username, stdout=out)


def test_abstracts_from_the_register_reveal_a_refiling_the_titles_hide(firm, platform):
    first = IPAssetFactory(owner=firm, title="一种染色装置")
    second = IPAssetFactory(owner=firm, title="一种织物处理设备")
    text = "包括染缸、循环泵和加热器，循环泵将染液从染缸底部抽出经加热器回流，使染色均匀。"
    record(platform, first, "abstract", "本实用新型公开了一种纺织品染色装置，" + text)
    record(platform, second, "abstract", "本实用新型公开了一种织物的染色设备，" + text)

    filing_flags_refresh(enterprise_id=firm.pk)

    assert live(firm) == {("near_duplicate", first.pk), ("near_duplicate", second.pk)}


def test_a_recent_transfer_is_flagged_with_its_record_an_old_one_is_not(firm, platform):
    recent = IPAssetFactory(owner=firm, title="一种锂电池隔膜")
    old = IPAssetFactory(owner=firm, title="一种船舶用锚链清洗设备")
    record(platform, recent, "transferred_on", timezone.localdate() - dt.timedelta(days=40), reference="ZR-2026-118")
    record(platform, old, "transferred_on", dt.date(2021, 3, 1), reference="ZR-2021-7")

    filing_flags_refresh(enterprise_id=firm.pk)

    assert live(firm) == {("transferred_before_pledge", recent.pk)}
    assert FilingFlag.objects.get(asset=recent).evidence["transferred_from"] == "ZR-2026-118"


def test_evidence_of_use_clears_a_mass_class_filing(firm, platform):
    marks = [
        IPAssetFactory(
            owner=firm,
            ip_type=IPType.TRADEMARK,
            identifier=str(31000000 + i),
            title=f"江海韵{i}",
            filing_date=timezone.localdate() - dt.timedelta(days=100),
            grant_date=None,
            expiry_date=None,
            legal_status="pending",
            annual_fee_paid_through=None,
            ipc_classes=[],
            nice_classes=[i, i + 20],
        )
        for i in range(1, 7)
    ]
    filing_flags_refresh(enterprise_id=firm.pk)
    assert live(firm) == {("mass_class_filing", None)}

    for mark in marks[:3]:
        record(platform, mark, "trademark_in_use", True, reference="使用证据备案")
    filing_flags_refresh(enterprise_id=firm.pk)

    assert live(firm) == set()
