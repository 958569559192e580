"""The dashboard API: who sees what, exports with formulas defused, the reported-loan import, the report."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from tests.api.helpers import client_for
from tests.factories import make_uscc
from tests.reporting.conftest import World
from tongzhirong.core.tabular import write_csv
from tongzhirong.reporting.models import ReportedLoan

SUMMARY = "/api/v1/reporting/summary/?as_of=2027-01-15"


@pytest.fixture
def world(db):
    return World()


def cumulative(response):
    return next(t for t in response.json()["targets"] if t["reading"] == "cumulative")


def test_the_city_office_sees_the_whole_city(world):
    response = client_for(world.city).get(SUMMARY)
    assert response.status_code == 200
    assert cumulative(response)["total"] == {"amount": "24500000.00", "count": 5, "firms": 3}


def test_a_bank_sees_its_own_book(world):
    response = client_for(world.officer_a).get(SUMMARY)
    assert cumulative(response)["platform"]["amount"] == "8000000.00"
    assert response.json()["city_wide"] is False


def test_a_bank_filtering_on_another_bank_sees_nothing(world):
    response = client_for(world.officer_a).get(SUMMARY + f"&bank={world.bank_b.pk}")
    assert cumulative(response)["total"]["count"] == 0


def test_an_sme_is_refused(world):
    response = client_for(world.sme).get(SUMMARY)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_a_bank_cannot_see_the_plan_indicators(world):
    assert client_for(world.officer_a).get("/api/v1/reporting/indicators/").status_code == 403
    assert client_for(world.city).get("/api/v1/reporting/indicators/").status_code == 200


def test_export_defuses_formulas_in_bank_names(world):
    world.bank_a.name = '=HYPERLINK("http://evil")'
    world.bank_a.save()
    response = client_for(world.city).get("/api/v1/reporting/export/?table=breakdown&by=bank&format=csv")
    text = response.content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert ",=HYPERLINK" not in text
    xlsx = client_for(world.city).get("/api/v1/reporting/export/?table=breakdown&by=bank&format=xlsx")
    cells = [c.value for row in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows() for c in row]
    assert '\'=HYPERLINK("http://evil")' in cells


def test_the_district_report_has_a_sheet_per_district(world):
    response = client_for(world.city).get("/api/v1/reporting/district-report/?month=2026-06")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[0] == "2026-06"
    assert "Tongzhou District 通州区" in book.sheetnames  # named, not "320612" (tests read English)
    assert "320612" not in book.sheetnames
    overview = {row[0]: row for row in book["2026-06"].iter_rows(values_only=True)}
    assert overview["320612"][2] == 12_000_000  # L3, the month's only loan, in Tongzhou


def test_an_export_is_headed_in_the_readers_language(world):
    """The bug: headers were codes (total_amount, percent_of_…) whatever the language."""
    response = client_for(world.city).get(
        "/api/v1/reporting/export/?table=breakdown&by=district&format=csv", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    header = response.content.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("区县（代码）,名称,平台内：金额（元）")
    assert "_" not in header


@pytest.mark.parametrize(
    ("query", "sheet"),
    [
        ("table=series&bucket=month", "按月"),
        ("table=series&bucket=quarter", "按季度"),
        ("table=breakdown&by=district", "按区县"),
    ],
)
def test_an_export_sheet_is_named_in_the_readers_language(world, query, sheet):
    """The bug: sheets were named by the query's codes (series-month, breakdown-district)."""
    response = client_for(world.city).get(
        f"/api/v1/reporting/export/?{query}&format=xlsx", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert load_workbook(io.BytesIO(response.content)).sheetnames == [sheet]


def test_the_import_template_sheet_is_named_in_the_readers_language(world):
    response = client_for(world.city).get(
        "/api/v1/reporting/reported-loans/import-template/?format=xlsx", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert load_workbook(io.BytesIO(response.content)).sheetnames == ["贷款"]


def upload(rows, name="loans.csv"):
    headers = list(rows[0])
    return {"file": SimpleUploadedFile(name, write_csv(headers, [list(r.values()) for r in rows]))}


def reported_row(**overrides):
    row = {
        "合同编号": "WB-2026-001",
        "借款人统一社会信用代码": make_uscc(123_456, division="320681"),
        "质押知识产权编号": "201710601862.3; 12345678",
        "贷款金额（元）": "3000000",
        "放款日": "2026-03-18",
    }
    return row | overrides


def test_a_bank_imports_its_reported_loans(world):
    response = client_for(world.officer_a).post(
        "/api/v1/reporting/reported-loans/import/", upload([reported_row()]), format="multipart"
    )
    assert response.status_code == 201, response.json()
    loan = ReportedLoan.objects.get(pk=response.json()["ids"][0])
    assert (loan.bank_id, loan.ip_type, loan.district) == (world.bank_a.pk, "invention_patent", "320681")


def test_an_import_with_a_platform_contract_or_a_repeat_imports_nothing(world):
    rows = [
        reported_row(),
        reported_row(**{"合同编号": world.loans["L1"].contract_number}),
        reported_row(**{"合同编号": "WB-2026-002", "贷款金额（元）": "-5"}),
        reported_row(),
    ]
    response = client_for(world.officer_a).post(
        "/api/v1/reporting/reported-loans/import/", upload(rows), format="multipart"
    )
    assert response.status_code == 422
    problems = {(p["row"], p["field"]) for p in response.json()["rows"]}
    assert problems == {(3, "contract_number"), (4, "principal"), (5, "contract_number")}
    assert ReportedLoan.objects.count() == 2  # the world's own two


def test_the_city_office_names_the_bank(world):
    rows = [reported_row(**{"贷款银行": "Bank B"})]
    response = client_for(world.city).post("/api/v1/reporting/reported-loans/import/", upload(rows), format="multipart")
    assert response.status_code == 201, response.json()
    missing = client_for(world.city).post(
        "/api/v1/reporting/reported-loans/import/", upload([reported_row()]), format="multipart"
    )
    assert missing.status_code == 422


def test_official_figures_feed_the_derived_indicators(world):
    client = client_for(world.city)
    posted = client.post(
        "/api/v1/reporting/official-figures/",
        {"indicator": "population", "as_of": "2025-12-31", "value": "7720000"},
        format="json",
    )
    assert posted.status_code == 201, posted.json()
    rows = {r["code"]: r for r in client.get("/api/v1/reporting/indicators/").json()["indicators"]}
    assert rows["population"]["official"]["value"] == "7720000.0000"
    assert rows["high_value_patents_per_10k"]["platform"] is not None
