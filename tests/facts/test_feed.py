"""The file feed: an extract as the city receives it through 知慧通, read with the importers' checks, each row
reported, bad rows skipped, good ones recorded as the register's facts."""

from __future__ import annotations

import io
import json

import pytest

from tests.factories import EnterpriseFactory, IPAssetFactory
from tongzhirong.core.errors import ValidationFailed
from tongzhirong.core.tabular import write_csv, write_xlsx
from tongzhirong.facts.catalogue import Source
from tongzhirong.facts.freshness import State, source_states
from tongzhirong.facts.models import Fact
from tongzhirong.facts.sources.feed import fact_feed_import
from tongzhirong.facts.sources.refresh import FEED_USERNAME

pytestmark = pytest.mark.django_db

HEADERS = ["统一社会信用代码", "知识产权类型", "登记号", "事实", "值", "来源编号", "观察时间"]


def test_a_register_extract_updates_the_assets_and_reports_each_bad_row():
    asset = IPAssetFactory()
    uscc = asset.owner.uscc
    data = write_csv(
        HEADERS,
        [
            [uscc, "发明专利", asset.identifier, "legal_status", "lapsed", "CNIPA-20261201-1", "2026-12-01"],
            [
                uscc,
                "invention_patent",
                asset.identifier,
                "annual_fee_paid_through",
                "2026-05-10",
                "CNIPA-1",
                "2026-12-01",
            ],
            [uscc, "invention_patent", asset.identifier, "legal_status", "half valid", "CNIPA-2", "2026-12-01"],
            [uscc, "invention_patent", "ZL201911111111.X", "legal_status", "valid", "CNIPA-3", "2026-12-01"],
            ["91320600MA1XXXXXX0", "", "", "legal_status", "valid", "CNIPA-4", "2026-12-01"],
            [uscc, "", "", "legal_name", "某公司", "GSXT-1", "2026-12-01"],
        ],
    )

    report = fact_feed_import(file=io.BytesIO(data), name="cnipa-legal-status.csv", source=Source.IP_REGISTER)

    assert (report.rows, report.recorded, report.unchanged) == (6, 2, 0)
    assert [(p["row"], p["field"]) for p in report.problems] == [
        (4, "value"),
        (5, "identifier"),
        (6, "identifier"),
        (7, "fact"),
    ]
    asset.refresh_from_db()
    assert (asset.legal_status, asset.annual_fee_paid_through.isoformat()) == ("lapsed", "2026-05-10")
    fact = Fact.objects.get(asset=asset, name="legal_status")
    assert (fact.source, fact.reference, fact.fetched_by.username) == ("ip_register", "CNIPA-20261201-1", FEED_USERNAME)
    state = next(s for s in source_states(enterprise=asset.owner) if s.source == Source.IP_REGISTER)
    assert state.state == State.FRESH


def test_the_same_extract_twice_records_nothing_new():
    firm = EnterpriseFactory()
    rows = [[firm.uscc, "", "", "has_court_enforcement", "是", "ZXGK-2026-1", "2026-12-01 09:30"]]
    fact_feed_import(file=io.BytesIO(write_xlsx(HEADERS, rows)), name="court.xlsx", source=Source.COURT)

    report = fact_feed_import(file=io.BytesIO(write_xlsx(HEADERS, rows)), name="court.xlsx", source=Source.COURT)

    assert (report.recorded, report.unchanged, report.problems) == (0, 1, [])
    firm.refresh_from_db()
    assert firm.has_court_enforcement is True


def test_a_json_extract_is_read_like_a_table():
    firm = EnterpriseFactory()
    rows = [
        {
            "uscc": firm.uscc,
            "fact": "tax_credit_grade",
            "value": "A",
            "reference": "NSXY-2026",
            "observed_at": "2026-04-01",
        }
    ]

    report = fact_feed_import(file=io.BytesIO(json.dumps(rows).encode()), name="tax.json", source=Source.TAX)

    assert report.recorded == 1
    firm.refresh_from_db()
    assert firm.tax_credit_grade == "A"


def test_a_file_the_importers_would_refuse_is_refused_whole():
    with pytest.raises(ValidationFailed) as refused:
        fact_feed_import(file=io.BytesIO(b"PK\x03\x04 not a zip"), name="x.xlsx", source=Source.IP_REGISTER)
    assert "file" in refused.value.errors


def test_a_missing_column_is_reported_on_the_header_row():
    report = fact_feed_import(
        file=io.BytesIO(write_csv(["uscc", "fact"], [["x", "y"]])), name="a.csv", source="court_enforcement"
    )
    assert {p["row"] for p in report.problems} == {1}
    assert report.recorded == 0


def test_a_credit_report_is_not_fed_by_files():
    with pytest.raises(ValidationFailed):
        fact_feed_import(file=io.BytesIO(b"a,b\n1,2\n"), name="a.csv", source=Source.CREDIT_REPORT)
