"""Importing a file of IP rights: every row checked like a single registration, all written or none, and a
report that names each problem by row and column."""

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from tests.factories import (
    ApplicationFactory,
    BankOfficerFactory,
    EnterpriseFactory,
    IPAssetFactory,
    UserFactory,
    make_patent_number,
)
from tongzhirong.assets.importing import COLUMNS, ip_assets_import, template_headers, template_rows
from tongzhirong.assets.models import CoOwner, IPAsset
from tongzhirong.core.errors import PermissionDenied, RowsRejected
from tongzhirong.core.tabular import read_table, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return EnterpriseFactory()


@pytest.fixture
def owner_user(owner):
    return UserFactory(organisation=owner.organisation)


def patent(n: int, **overrides) -> dict:
    row = {
        "ip_type": "invention_patent",
        "identifier": make_patent_number(n),
        "title": f"一种纺织设备 {n}",
        "filing_date": "2019-05-10",
        "grant_date": "2021-08-20",
        "legal_status": "valid",
    }
    return {**row, **overrides}


def run(owner_user, owner, rows, **kwargs):
    return ip_assets_import(actor=owner_user, owner=owner, rows=rows, **kwargs)


def rejected(owner_user, owner, rows, **kwargs) -> list[dict]:
    with pytest.raises(RowsRejected) as refused:
        run(owner_user, owner, rows, **kwargs)
    assert refused.value.status == 422
    assert not IPAsset.objects.filter(owner=owner).exists()
    return refused.value.rows


def test_every_row_becomes_an_asset_of_the_owner(owner, owner_user):
    result = run(owner_user, owner, [patent(1), patent(2)])

    assets = IPAsset.objects.filter(owner=owner).order_by("pk")
    assert result.created == [a.pk for a in assets]
    assert [a.identifier for a in assets] == [make_patent_number(1), make_patent_number(2)]
    assert (result.rows, result.dry_run) == (2, False)


def test_one_bad_row_in_twelve_writes_nothing_and_the_report_names_that_row(owner, owner_user):
    rows = [patent(n) for n in range(1, 13)]
    good = rows[6]["identifier"]
    rows[6]["identifier"] = good[:-1] + ("1" if good[-1] == "0" else "0")  # the spreadsheet's row 8

    problems = rejected(owner_user, owner, rows)

    assert problems == [
        {
            "row": 8,
            "field": "identifier",
            "message": f"Patent check character should be {good[-1]}, not {rows[6]['identifier'][-1]}.",
        }
    ]


def test_every_problem_of_every_row_is_reported(owner, owner_user):
    rows = [
        patent(1, filing_date="2019-13-40"),
        patent(2),
        patent(3, grant_date="2018-01-01", claims_count="many"),
    ]

    problems = rejected(owner_user, owner, rows)

    assert [(p["row"], p["field"]) for p in problems] == [
        (2, "filing_date"),
        (4, "claims_count"),
        (4, "grant_date"),
    ]
    assert problems[0]["message"] == "\u201c2019-13-40\u201d is not a date; write it as 2019-05-10."
    assert problems[2]["message"] == "The grant date cannot be before the filing date."


def test_a_right_twice_in_the_file_is_refused_naming_the_first_row(owner, owner_user):
    number = make_patent_number(5)
    rows = [patent(1), patent(5), patent(2), patent(5, identifier="ZL" + number.replace(".", ""))]

    problems = rejected(owner_user, owner, rows)

    assert problems == [
        {"row": 5, "field": "identifier", "message": f"{number} appears again; it is first in row 3."},
    ]


def test_a_right_already_on_the_platform_is_refused(owner, owner_user):
    IPAssetFactory(identifier=make_patent_number(2))

    problems = rejected(owner_user, owner, [patent(1), patent(2)])

    assert problems == [
        {
            "row": 3,
            "field": "identifier",
            "message": f"{make_patent_number(2)} is already registered on the platform.",
        }
    ]


def test_full_width_digits_and_chinese_dates_are_read_as_meant(owner, owner_user):
    full_width = make_patent_number(7).translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))

    run(owner_user, owner, [patent(7, identifier=full_width, filing_date="２０１９年５月１０日")])

    asset = IPAsset.objects.get(owner=owner)
    assert (asset.identifier, asset.filing_date) == (make_patent_number(7), dt.date(2019, 5, 10))


def test_choices_may_be_written_in_chinese(owner, owner_user):
    rows = [
        patent(1, ip_type="发明专利", legal_status="有效", invalidation_pending="否"),
        {
            "ip_type": "商标",
            "identifier": "12345678",
            "title": "通纺",
            "filing_date": "2015/3/2",
            "grant_date": "2016/6/7",
            "nice_classes": "24；25",
        },
    ]

    run(owner_user, owner, rows)

    mark = IPAsset.objects.get(ip_type="trademark")
    assert mark.nice_classes == [24, 25]


def test_chinese_column_names_are_accepted(owner, owner_user):
    row = {column.zh: patent(1).get(column.field) for column in COLUMNS}

    run(owner_user, owner, [row])

    assert IPAsset.objects.get(owner=owner).identifier == make_patent_number(1)


def test_an_unknown_column_is_reported_against_the_header_row(owner, owner_user):
    problems = rejected(owner_user, owner, [{**patent(1), "colour": "blue"}])

    assert problems == [
        {"row": 1, "field": "colour", "message": "Unknown column; use the columns of the template."},
    ]


def test_a_missing_required_column_is_reported_against_the_header_row(owner, owner_user):
    rows = [{k: v for k, v in patent(1).items() if k != "filing_date"}]

    problems = rejected(owner_user, owner, rows)

    assert problems == [{"row": 1, "field": "filing_date", "message": "The column is missing: add \u201c申请日\u201d."}]


def test_the_owner_may_not_be_chosen_through_a_column(owner, owner_user):
    problems = rejected(owner_user, owner, [{**patent(1), "owner": EnterpriseFactory().pk}])

    assert problems[0]["field"] == "owner"


def test_co_owners_are_recorded_without_consent(owner, owner_user):
    run(owner_user, owner, [patent(1, co_owners="南通大学；江苏工程职业技术学院")])

    co_owners = CoOwner.objects.filter(asset__owner=owner).order_by("name")
    assert [(c.name, c.consent_given) for c in co_owners] == [("南通大学", False), ("江苏工程职业技术学院", False)]


def test_a_dry_run_checks_everything_and_writes_nothing(owner, owner_user):
    result = run(owner_user, owner, [patent(1), patent(2)], dry_run=True)

    assert (result.rows, result.created, result.dry_run) == (2, [], True)
    assert not IPAsset.objects.exists()


def test_a_dry_run_reports_the_same_problems(owner, owner_user):
    problems = rejected(owner_user, owner, [patent(1, identifier="bad")], dry_run=True)

    assert problems[0]["field"] == "identifier"


def test_another_enterprise_cannot_import_for_the_owner(owner):
    with pytest.raises(PermissionDenied):
        run(UserFactory(), owner, [patent(1)])


def test_a_bank_cannot_import(owner):
    with pytest.raises(PermissionDenied):
        run(BankOfficerFactory(), owner, [patent(1)])


def test_rights_pledged_elsewhere_are_still_their_owners_duplicates(owner, owner_user):
    """An archived record frees its identifier; a live one, pledged or not, does not."""
    pledged = IPAssetFactory(owner=owner)
    ApplicationFactory(enterprise=owner).assets.add(pledged)

    with pytest.raises(RowsRejected):
        run(owner_user, owner, [patent(99, identifier=pledged.identifier)])


def test_the_template_reads_back_and_imports_as_is(owner, owner_user):
    data = write_csv(template_headers(chinese=True), template_rows(chinese=True))

    result = run(owner_user, owner, read_table(io.BytesIO(data), name="template.csv"))

    asset = IPAsset.objects.get(pk=result.created[0])
    assert (asset.ip_type, asset.legal_status, asset.ipc_classes) == (
        "invention_patent",
        "valid",
        ["D01F 6/60", "D01D 5/08"],
    )
    assert asset.co_owners.get().name == "南通大学"


def test_an_xlsx_with_typed_cells_imports(owner, owner_user):
    book = Workbook()
    book.active.append(["ip_type", "identifier", "title", "filing_date", "grant_date", "nice_classes", "claims_count"])
    book.active.append(["trademark", 12345678, "通纺", dt.datetime(2015, 3, 2), dt.datetime(2016, 6, 7), 25, 0])
    out = io.BytesIO()
    book.save(out)

    run(owner_user, owner, read_table(io.BytesIO(out.getvalue()), name="marks.xlsx"))

    mark = IPAsset.objects.get(owner=owner)
    assert (mark.identifier, mark.filing_date, mark.nice_classes) == ("12345678", dt.date(2015, 3, 2), [25])


def test_an_import_costs_one_insert_per_row_and_a_fixed_number_of_other_queries(owner, owner_user):
    def queries(n: int, **kwargs) -> int:
        with CaptureQueriesContext(connection) as captured:
            run(owner_user, owner, [patent(1000 * n + k) for k in range(n)], **kwargs)
        return len(captured)

    assert queries(20, dry_run=True) == queries(10, dry_run=True)
    assert queries(20) - queries(10) == 10
