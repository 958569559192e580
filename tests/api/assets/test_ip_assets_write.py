"""The SME registers, corrects, archives and imports its IP assets through the API; nobody else writes them."""

import codecs
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook
from rest_framework.test import APIClient

from tests.factories import (
    ApplicationFactory,
    BankOfficerFactory,
    CoOwnerFactory,
    EnterpriseFactory,
    IPAssetFactory,
    LoanFactory,
    OrganisationFactory,
    PlatformAdminFactory,
    UserFactory,
    make_patent_number,
)
from tongzhirong.accounts.models import Role
from tongzhirong.assets.models import CoOwner, IPAsset
from tongzhirong.financing.models import ApplicationAsset, ApplicationStatus, LoanStatus

pytestmark = pytest.mark.django_db

URL = "/api/v1/ip-assets/"
PROBLEM = "application/problem+json"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBER = "201710601862.3"


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def invention(**overrides):
    body = {
        "ip_type": "invention_patent",
        "identifier": NUMBER,
        "title": "一种高强度化学纤维的制备方法",
        "filing_date": "2017-07-27",
        "grant_date": "2019-11-05",
        "expiry_date": "2037-07-27",
        "legal_status": "valid",
        "ipc_classes": ["D01F 6/60"],
        "claims_count": 10,
    }
    return {**body, **overrides}


@pytest.fixture
def enterprise():
    return EnterpriseFactory()


@pytest.fixture
def sme(enterprise):
    return UserFactory(organisation=enterprise.organisation, role=Role.SME_STAFF)


@pytest.fixture
def asset(enterprise):
    return IPAssetFactory(owner=enterprise)


@pytest.fixture
def foreign_asset():
    return IPAssetFactory()


def pledge(asset, status=ApplicationStatus.DRAFT):
    application = ApplicationFactory(enterprise=asset.owner, status=status)
    ApplicationAsset.objects.create(application=application, asset=asset)
    return application


def assert_problem(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == code
    return response.json()


# --- Registering one right --------------------------------------------------------------------------------


def test_an_sme_registers_a_right_of_its_own(enterprise, sme):
    response = client_for(sme).post(URL, invention(), format="json")

    assert response.status_code == 201, response.json()
    asset = IPAsset.objects.get()
    assert (asset.owner, asset.identifier) == (enterprise, NUMBER)
    assert response.json()["id"] == asset.pk
    assert response.json()["archived_at"] is None


def test_co_owners_are_registered_with_the_right(sme):
    body = invention(co_owners=[{"name": "南通大学", "share_percent": "40.00", "consent_given": True}])

    response = client_for(sme).post(URL, body, format="json")

    assert response.status_code == 201, response.json()
    [co_owner] = response.json()["co_owners"]
    assert (co_owner["name"], co_owner["share_percent"], co_owner["consent_given"]) == ("南通大学", "40.00", True)
    assert co_owner["consent_recorded_at"] is not None


def test_a_co_owner_with_a_bad_uscc_is_named_and_nothing_is_written(sme):
    body = invention(co_owners=[{"name": "南通大学", "uscc": "914403001922038217"}])

    response = client_for(sme).post(URL, body, format="json")

    errors = assert_problem(response, 400, "validation_failed")["errors"]
    assert errors == {"co_owners.0.uscc": ["USCC check character should be 6, not 7."]}
    assert not IPAsset.objects.exists()


def test_a_patent_number_with_a_wrong_check_character_is_refused_on_its_field(sme):
    response = client_for(sme).post(URL, invention(identifier="201710601862.4"), format="json")

    errors = assert_problem(response, 400, "validation_failed")["errors"]
    assert errors == {"identifier": ["Patent check character should be 3, not 4."]}
    assert not IPAsset.objects.exists()


def test_a_number_typed_with_full_width_digits_is_stored_canonical(sme):
    response = client_for(sme).post(URL, invention(identifier="ＺＬ２０１７１０６０１８６２．３"), format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["identifier"] == NUMBER


def test_a_right_already_on_the_platform_is_a_duplicate(sme):
    IPAssetFactory(identifier=NUMBER)

    response = client_for(sme).post(URL, invention(), format="json")

    body = assert_problem(response, 409, "duplicate")
    assert body["detail"] == f"{NUMBER} is already registered on the platform."
    assert IPAsset.objects.count() == 1


@pytest.mark.parametrize("field", ["owner", "archived_at", "id"])
def test_fields_the_platform_sets_cannot_be_sent(sme, field):
    response = client_for(sme).post(URL, invention(**{field: "2024-01-01T00:00:00Z"}), format="json")

    assert assert_problem(response, 400, "validation_failed")["errors"] == {field: ["This field cannot be changed."]}
    assert not IPAsset.objects.exists()


def test_an_unknown_field_is_refused_not_dropped(sme):
    response = client_for(sme).post(URL, invention(valuation="99999999"), format="json")

    assert assert_problem(response, 400, "validation_failed")["errors"] == {"valuation": ["Unknown field."]}


def test_a_negative_licence_revenue_is_refused_on_its_field(sme):
    response = client_for(sme).post(URL, invention(licence_revenue="-1.00"), format="json")

    assert "licence_revenue" in assert_problem(response, 400, "validation_failed")["errors"]


def test_a_retried_registration_with_the_same_key_registers_one_right(sme):
    client = client_for(sme)
    key = {"Idempotency-Key": "register-201710601862.3"}

    first = client.post(URL, invention(), format="json", headers=key)
    again = client.post(URL, invention(), format="json", headers=key)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert IPAsset.objects.count() == 1


def test_an_sme_without_a_profile_is_told_to_create_it_first():
    newcomer = UserFactory(organisation=OrganisationFactory())

    response = client_for(newcomer).post(URL, invention(), format="json")

    body = assert_problem(response, 403, "permission_denied")
    assert body["detail"] == "Create your enterprise profile before registering IP assets."


# --- Who may write ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("factory", [BankOfficerFactory, PlatformAdminFactory], ids=["bank", "platform"])
def test_only_an_sme_registers(factory):
    response = client_for(factory()).post(URL, invention(), format="json")

    body = assert_problem(response, 403, "permission_denied")
    assert body["detail"] == "Only an SME registers and changes IP assets."
    assert not IPAsset.objects.exists()


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("patch", "", {"title": "改名"}),
        ("post", "archive/", {}),
        ("post", "co-owners/", {"name": "南通大学"}),
    ],
    ids=["update", "archive", "co-owner"],
)
def test_a_bank_cannot_change_an_asset(asset, method, suffix, body):
    title = asset.title

    response = getattr(client_for(BankOfficerFactory()), method)(f"{URL}{asset.pk}/{suffix}", body, format="json")

    assert_problem(response, 403, "permission_denied")
    asset.refresh_from_db()
    assert (asset.title, asset.archived_at, asset.co_owners.count()) == (title, None, 0)


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("patch", "", {"title": "改名"}),
        ("post", "archive/", {}),
        ("post", "co-owners/", {"name": "南通大学"}),
    ],
    ids=["update", "archive", "co-owner"],
)
def test_another_smes_asset_is_not_found(sme, foreign_asset, method, suffix, body):
    title = foreign_asset.title

    response = getattr(client_for(sme), method)(f"{URL}{foreign_asset.pk}/{suffix}", body, format="json")

    assert_problem(response, 404, "not_found")
    foreign_asset.refresh_from_db()
    assert (foreign_asset.title, foreign_asset.archived_at, foreign_asset.co_owners.count()) == (title, None, 0)


def test_consent_on_another_smes_co_owner_is_not_found(sme):
    co_owner = CoOwnerFactory()

    response = client_for(sme).post(
        f"{URL}{co_owner.asset_id}/co-owners/{co_owner.pk}/consent/", {"consent_given": True}, format="json"
    )

    assert_problem(response, 404, "not_found")
    co_owner.refresh_from_db()
    assert co_owner.consent_given is False


# --- Correcting a record --------------------------------------------------------------------------------------


def test_an_sme_corrects_its_asset(sme, asset):
    response = client_for(sme).patch(f"{URL}{asset.pk}/", {"title": "一种智能纺织设备（修正）", "claims_count": 12})

    assert response.status_code == 200, response.json()
    asset.refresh_from_db()
    assert (asset.title, asset.claims_count) == ("一种智能纺织设备（修正）", 12)


def test_a_correction_is_validated_like_a_registration(sme, asset):
    response = client_for(sme).patch(f"{URL}{asset.pk}/", {"grant_date": "2001-01-01"}, format="json")

    errors = assert_problem(response, 400, "validation_failed")["errors"]
    assert errors == {"grant_date": ["The grant date cannot be before the filing date."]}
    asset.refresh_from_db()
    assert asset.grant_date == dt.date(2021, 8, 20)


def test_a_correction_onto_another_live_right_is_a_duplicate(sme, asset):
    IPAssetFactory(identifier=NUMBER)

    response = client_for(sme).patch(f"{URL}{asset.pk}/", {"identifier": NUMBER}, format="json")

    assert_problem(response, 409, "duplicate")


@pytest.mark.parametrize("field", ["owner", "archived_at", "co_owners"])
def test_a_correction_cannot_touch_what_the_platform_sets(sme, asset, field):
    response = client_for(sme).patch(f"{URL}{asset.pk}/", {field: None}, format="json")

    assert assert_problem(response, 400, "validation_failed")["errors"] == {field: ["This field cannot be changed."]}


@pytest.mark.parametrize(
    "status",
    [ApplicationStatus.DRAFT, ApplicationStatus.UNDER_REVIEW, ApplicationStatus.REGISTERED],
)
def test_an_asset_pledged_in_a_live_application_cannot_change(sme, asset, status):
    application = pledge(asset, status)

    response = client_for(sme).patch(f"{URL}{asset.pk}/", {"title": "改名"}, format="json")

    body = assert_problem(response, 409, "locked")
    assert application.reference in body["detail"]
    asset.refresh_from_db()
    assert asset.title != "改名"


@pytest.mark.parametrize("status", [ApplicationStatus.WITHDRAWN, ApplicationStatus.REJECTED])
def test_an_asset_of_an_ended_application_may_change(sme, asset, status):
    pledge(asset, status)

    response = client_for(sme).patch(f"{URL}{asset.pk}/", {"title": "改名"}, format="json")

    assert response.status_code == 200, response.json()


def test_an_asset_stays_pledged_while_its_loan_runs(sme, asset):
    LoanFactory(application=pledge(asset, ApplicationStatus.DISBURSED), status=LoanStatus.OVERDUE)

    response = client_for(sme).patch(f"{URL}{asset.pk}/", {"title": "改名"}, format="json")

    assert_problem(response, 409, "locked")


def test_an_asset_is_free_again_once_its_loan_is_repaid(sme, asset):
    LoanFactory(application=pledge(asset, ApplicationStatus.DISBURSED), status=LoanStatus.REPAID)

    response = client_for(sme).patch(f"{URL}{asset.pk}/", {"title": "改名"}, format="json")

    assert response.status_code == 200, response.json()


# --- Archiving ------------------------------------------------------------------------------------------------


def test_an_archived_asset_leaves_the_list(sme, asset):
    client = client_for(sme)

    response = client.post(f"{URL}{asset.pk}/archive/")

    assert response.status_code == 200, response.json()
    assert response.json()["archived_at"] is not None
    assert client.get(URL).json()["results"] == []
    assert_problem(client.post(f"{URL}{asset.pk}/archive/"), 404, "not_found")


def test_a_pledged_asset_cannot_be_archived(sme, asset):
    pledge(asset, ApplicationStatus.SUBMITTED)

    assert_problem(client_for(sme).post(f"{URL}{asset.pk}/archive/"), 409, "locked")
    asset.refresh_from_db()
    assert asset.archived_at is None


# --- Co-owners ------------------------------------------------------------------------------------------------


def test_an_sme_records_a_co_owner_and_then_their_consent(sme, asset):
    client = client_for(sme)

    added = client.post(f"{URL}{asset.pk}/co-owners/", {"name": "南通大学", "uscc": "914403001922038216"})
    assert added.status_code == 201, added.json()
    assert (added.json()["consent_given"], added.json()["consent_recorded_at"]) == (False, None)

    consent = client.post(
        f"{URL}{asset.pk}/co-owners/{added.json()['id']}/consent/", {"consent_given": True}, format="json"
    )
    assert consent.status_code == 200, consent.json()
    co_owner = CoOwner.objects.get()
    assert (co_owner.consent_given, co_owner.consent_recorded_at is not None) == (True, True)


def test_a_co_owner_named_twice_is_refused(sme, asset):
    CoOwnerFactory(asset=asset, name="南通大学")

    response = client_for(sme).post(f"{URL}{asset.pk}/co-owners/", {"name": "南通大学"}, format="json")

    assert_problem(response, 400, "validation_failed")
    assert asset.co_owners.count() == 1


def test_consent_needs_a_yes_or_no(sme, asset):
    co_owner = CoOwnerFactory(asset=asset)

    response = client_for(sme).post(f"{URL}{asset.pk}/co-owners/{co_owner.pk}/consent/", {}, format="json")

    assert "consent_given" in assert_problem(response, 400, "validation_failed")["errors"]


def test_a_co_owner_of_another_asset_is_not_found_through_this_one(sme, asset, enterprise):
    other = CoOwnerFactory(asset=IPAssetFactory(owner=enterprise))

    response = client_for(sme).post(
        f"{URL}{asset.pk}/co-owners/{other.pk}/consent/", {"consent_given": True}, format="json"
    )

    assert_problem(response, 404, "not_found")


def test_no_co_owner_is_added_while_the_asset_is_pledged(sme, asset):
    pledge(asset)

    response = client_for(sme).post(f"{URL}{asset.pk}/co-owners/", {"name": "南通大学"}, format="json")

    assert_problem(response, 409, "locked")


def test_a_co_owner_consents_while_the_asset_is_pledged(sme, asset):
    """Consent is what the pledge pre-check waits for, so it is recorded during the application."""
    co_owner = CoOwnerFactory(asset=asset)
    pledge(asset, ApplicationStatus.APPROVED)

    response = client_for(sme).post(
        f"{URL}{asset.pk}/co-owners/{co_owner.pk}/consent/", {"consent_given": True}, format="json"
    )

    assert response.status_code == 200, response.json()


# --- The list stays cheap -------------------------------------------------------------------------------------


@pytest.mark.parametrize("assets", [2, 12])
def test_the_list_costs_the_same_queries_however_many_assets(sme, enterprise, assets, django_assert_num_queries):
    for asset in IPAssetFactory.create_batch(assets, owner=enterprise):
        CoOwnerFactory.create_batch(2, asset=asset)
    client = client_for(sme)

    with django_assert_num_queries(2):  # the page and its co-owners (a first page not full is its own count)
        response = client.get(URL)

    assert len(response.json()["results"]) == assets


# --- Importing a file -----------------------------------------------------------------------------------------

HEADER = "ip_type,identifier,title,filing_date,grant_date,legal_status,co_owners"


def csv_line(n: int, **overrides) -> str:
    values = {
        "ip_type": "invention_patent",
        "identifier": make_patent_number(n),
        "title": f"一种纺织设备{n}",
        "filing_date": "2019-05-10",
        "grant_date": "2021-08-20",
        "legal_status": "valid",
        "co_owners": "",
    }
    values.update(overrides)
    return ",".join(values[name] for name in HEADER.split(","))


def csv_file(*lines: str, encoding: str = "utf-8", name: str = "assets.csv") -> io.BytesIO:
    upload = io.BytesIO("\r\n".join([HEADER, *lines]).encode(encoding))
    upload.name = name
    return upload


def xlsx_file(rows, name: str = "assets.xlsx") -> io.BytesIO:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    upload = io.BytesIO()
    book.save(upload)
    upload.seek(0)
    upload.name = name
    return upload


def upload(user, file, **fields):
    return client_for(user).post(f"{URL}import/", {"file": file, **fields}, format="multipart")


def test_an_sme_imports_a_csv_file(sme, enterprise):
    response = upload(sme, csv_file(csv_line(1), csv_line(2, co_owners="南通大学")))

    assert response.status_code == 201, response.json()
    body = response.json()
    assets = list(IPAsset.objects.filter(owner=enterprise).order_by("pk"))
    assert body == {"dry_run": False, "rows": 2, "created": 2, "ids": [a.pk for a in assets]}
    assert assets[1].co_owners.get().name == "南通大学"


def test_a_gbk_csv_from_chinese_excel_imports(sme, enterprise):
    response = upload(sme, csv_file(csv_line(1, co_owners="南通大学"), encoding="gbk"))

    assert response.status_code == 201, response.json()
    asset = IPAsset.objects.get(owner=enterprise)
    assert (asset.title, asset.co_owners.get().name) == ("一种纺织设备1", "南通大学")


def test_a_utf8_csv_with_a_bom_imports(sme):
    file = csv_file(csv_line(1))
    file = io.BytesIO(codecs.BOM_UTF8 + file.getvalue())
    file.name = "assets.csv"

    assert upload(sme, file).status_code == 201


def test_an_xlsx_with_chinese_headers_and_full_width_digits_imports(sme, enterprise):
    rows = [
        ["知识产权类型", "申请号/注册号", "名称", "申请日", "授权日", "尼斯分类"],
        ["商标", "１２３４５６７８", "通纺", dt.datetime(2015, 3, 2), dt.datetime(2016, 6, 7), "24，25"],
        ["发明专利", make_patent_number(3), "一种方法", "2019年5月10日", "2021-08-20", None],
    ]

    response = upload(sme, xlsx_file(rows))

    assert response.status_code == 201, response.json()
    mark = IPAsset.objects.get(owner=enterprise, ip_type="trademark")
    assert (mark.identifier, mark.nice_classes) == ("12345678", [24, 25])


def test_one_bad_row_in_twelve_writes_nothing_and_the_report_names_it(sme, enterprise):
    lines = [csv_line(n) for n in range(1, 13)]
    lines[8] = csv_line(9, identifier="201910000009.0")  # the spreadsheet's row 10

    response = upload(sme, csv_file(*lines))

    body = assert_problem(response, 422, "rows_rejected")
    assert [(p["row"], p["field"]) for p in body["rows"]] == [(10, "identifier")]
    assert body["rows"][0]["message"].startswith("Patent check character should be")
    assert body["detail"] == "1 problems in 1 of 12 rows; nothing was imported."
    assert not IPAsset.objects.filter(owner=enterprise).exists()


def test_a_right_twice_in_the_file_names_the_first_row(sme):
    response = upload(sme, csv_file(csv_line(1), csv_line(2), csv_line(1)))

    body = assert_problem(response, 422, "rows_rejected")
    assert body["rows"] == [
        {
            "row": 4,
            "field": "identifier",
            "message": f"{make_patent_number(1)} appears again; it is first in row 2.",
        }
    ]
    assert not IPAsset.objects.exists()


def test_a_right_already_on_the_platform_is_named(sme):
    IPAssetFactory(identifier=make_patent_number(2))

    body = assert_problem(upload(sme, csv_file(csv_line(1), csv_line(2))), 422, "rows_rejected")

    assert body["rows"] == [
        {"row": 3, "field": "identifier", "message": f"{make_patent_number(2)} is already registered on the platform."}
    ]
    assert IPAsset.objects.count() == 1


def test_a_dry_run_reports_and_writes_nothing(sme):
    response = upload(sme, csv_file(csv_line(1), csv_line(2)), dry_run="true")

    assert response.status_code == 200, response.json()
    assert response.json() == {"dry_run": True, "rows": 2, "created": 0, "ids": []}
    assert not IPAsset.objects.exists()


def test_an_oversize_file_is_refused(sme):
    file = csv_file(csv_line(1))
    file = io.BytesIO(file.getvalue() + b"\r\n" + b"," * (5 * 1024 * 1024))
    file.name = "assets.csv"

    body = assert_problem(upload(sme, file), 400, "validation_failed")

    assert body["errors"] == {"file": ["The file is larger than 5 MB; split it into smaller files."]}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("assets.pdf", "Only .csv and .xlsx files are accepted."),
        ("assets.xlsx", "The file is named .xlsx but is not an Excel workbook."),
    ],
)
def test_a_file_of_the_wrong_type_is_refused(sme, name, message):
    body = assert_problem(upload(sme, csv_file(csv_line(1), name=name)), 400, "validation_failed")

    assert body["errors"] == {"file": [message]}


def test_a_request_without_a_file_is_refused(sme):
    response = client_for(sme).post(f"{URL}import/", {"dry_run": "true"}, format="multipart")

    assert "file" in assert_problem(response, 400, "validation_failed")["errors"]


def test_a_bank_cannot_import():
    response = upload(BankOfficerFactory(), csv_file(csv_line(1)))

    assert_problem(response, 403, "permission_denied")
    assert not IPAsset.objects.exists()


def test_a_retried_import_with_the_same_key_imports_once(sme):
    client = client_for(sme)
    key = {"Idempotency-Key": "import-1"}

    first = client.post(f"{URL}import/", {"file": csv_file(csv_line(1))}, format="multipart", headers=key)
    again = client.post(f"{URL}import/", {"file": csv_file(csv_line(1))}, format="multipart", headers=key)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert IPAsset.objects.count() == 1


# --- The template ---------------------------------------------------------------------------------------------


def test_the_csv_template_has_the_columns_and_an_example_that_imports(sme, enterprise):
    client = client_for(sme)

    response = client.get(f"{URL}import-template/", {"format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="ip-assets-import-template.csv"'
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("ip_type,identifier,title,filing_date")
    file = io.BytesIO(response.content)
    file.name = "template.csv"
    assert upload(sme, file).status_code == 201


def test_the_xlsx_template_is_a_workbook_with_chinese_headers_for_a_chinese_session(sme, settings):
    settings.LANGUAGE_CODE = "zh-hans"

    response = client_for(sme).get(f"{URL}import-template/", {"format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, example = list(sheet.iter_rows(values_only=True))
    assert header[:4] == ("知识产权类型", "申请号/注册号", "名称", "申请日")
    assert example[0] == "发明专利"


def test_the_template_without_a_format_is_csv(sme):
    assert client_for(sme).get(f"{URL}import-template/")["Content-Type"] == "text/csv; charset=utf-8"


def test_the_template_asks_for_sign_in_in_the_problem_shape():
    response = APIClient().get(f"{URL}import-template/", {"format": "xlsx"})

    assert_problem(response, 401, "not_authenticated")


def test_queries_of_an_import_do_not_grow_with_the_file_but_by_one_insert_per_row(sme):
    def queries(n: int) -> int:
        file = csv_file(*(csv_line(100 * n + k) for k in range(n)))
        with CaptureQueriesContext(connection) as captured:
            assert upload(sme, file, dry_run="true").status_code == 200
        return len(captured)

    assert queries(12) == queries(3)
