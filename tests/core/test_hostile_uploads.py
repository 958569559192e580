"""Every import endpoint and page refuses a crafted spreadsheet (tests/core/hostile_files.py) with a reason, in
the API's problem shape or as the form's error, and imports nothing. How fast and how cheaply: bench/
bench_hostile_files.py (timings stay out of the tests)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.api.helpers import client_for
from tests.core import hostile_files
from tests.factories import EnterpriseFactory, UserFactory
from tests.reporting.conftest import World
from tongzhirong.accounts.models import Role
from tongzhirong.assets.models import IPAsset
from tongzhirong.reporting.models import ReportedLoan

BOMBS = hostile_files.BOMBS


def upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(*reversed(hostile_files.build(name)))


@pytest.fixture
def sme(db):
    enterprise = EnterpriseFactory()
    return UserFactory(organisation=enterprise.organisation, role=Role.SME_OWNER)


@pytest.mark.parametrize("name", BOMBS)
def test_the_api_asset_import_refuses_a_crafted_file_in_the_problem_shape(sme, name):
    response = client_for(sme).post("/api/v1/ip-assets/import/", {"file": upload(name)}, format="multipart")

    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "validation_failed"
    assert body["errors"]["file"][0]
    assert not IPAsset.objects.exists()


@pytest.mark.parametrize("name", BOMBS)
def test_the_api_reported_loan_import_refuses_a_crafted_file(db, name):
    world = World()
    before = ReportedLoan.objects.count()

    response = client_for(world.officer_a).post(
        "/api/v1/reporting/reported-loans/import/", {"file": upload(name)}, format="multipart"
    )

    assert response.status_code == 400, response.content[:300]
    assert response.json()["errors"]["file"][0]
    assert ReportedLoan.objects.count() == before


@pytest.mark.parametrize("name", BOMBS)
def test_the_asset_import_page_shows_the_refusal_as_the_forms_error(client, sme, name):
    client.force_login(sme)

    response = client.post(reverse("web:sme-assets-import"), {"file": upload(name)})

    assert response.status_code == 200
    assert response.context["import_form"].errors["file"]
    assert not IPAsset.objects.exists()


def test_the_refusal_reads_in_chinese_on_the_page_and_in_the_api(client, sme, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(sme)

    page = client.post(reverse("web:sme-assets-import"), {"file": upload("whole_sheet_dimension")})
    api = client_for(sme).post(
        "/api/v1/ip-assets/import/",
        {"file": upload("huge_shared_string")},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )

    assert page.context["import_form"].errors["file"] == [
        "工作表声明的范围为 A1:XFD1048576，超过 100 列或 15001 行；请将数据复制到新的工作表。"
    ]
    assert api.json()["errors"]["file"] == ["工作簿解压后超过 64 MB；请将数据复制到新的工作簿，或改用 CSV 上传。"]
