"""The platform's desk for disputed facts, and the bank's application page: the applicant's facts and disputes,
the pledged rights' filing flags. In Chinese."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import ApplicationFactory, IPAssetFactory
from tongzhirong.facts.flagging import filing_flags_refresh
from tongzhirong.facts.models import DisputeStatus, Fact, FactDispute
from tongzhirong.facts.services import fact_dispute_open, fact_record
from tongzhirong.financing.models import ApplicationAsset

from .fixtures import observed

pytestmark = pytest.mark.django_db

URL = "/platform/disputes/"


@pytest.fixture
def disputed(enterprise, owner, platform):
    fact = fact_record(
        actor=platform, enterprise=enterprise, name="has_court_enforcement", value=True,
        reference="ZXGK-2026-0042", observed_at=observed(),
    )  # fmt: skip
    return fact_dispute_open(actor=owner, fact=fact, reason="案件已于十月结案")


def chinese(client, url):
    return client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()


def test_the_platform_sees_the_open_dispute_with_the_fact_and_the_reason(client, platform, disputed):
    client.force_login(platform)

    page = chinese(client, URL)

    assert "有异议的信息" in page
    assert "ZXGK-2026-0042" in page
    assert "案件已于十月结案" in page
    assert "has_court_enforcement" not in page
    assert 'href="/platform/disputes/"' in chinese(client, "/notifications/")  # in the platform's menu


def test_the_platform_upholds_a_dispute_and_the_correction_is_a_new_fact(client, platform, disputed):
    client.force_login(platform)
    prefix = f"d{disputed.pk}"

    response = client.post(
        URL,
        {
            "dispute": disputed.pk,
            f"{prefix}-upheld": "true",
            f"{prefix}-resolution": "法院确认已结案",
            f"{prefix}-corrected_value": "否",
            f"{prefix}-reference": "ZXGK-2026-0042-C",
        },
    )

    assert response.status_code == 302
    disputed.refresh_from_db()
    assert disputed.status == DisputeStatus.UPHELD
    assert Fact.objects.get(pk=disputed.correction_id).value is False


def test_a_resolution_without_words_is_refused_on_the_form(client, platform, disputed):
    client.force_login(platform)
    prefix = f"d{disputed.pk}"

    response = client.post(URL, {"dispute": disputed.pk, f"{prefix}-upheld": "false", f"{prefix}-resolution": " "})

    assert response.status_code == 200
    assert FactDispute.objects.get(pk=disputed.pk).status == DisputeStatus.OPEN


def test_no_one_but_the_platform_opens_the_desk(client, owner, officer):
    for user in (owner, officer):
        client.force_login(user)
        assert client.get(URL).status_code == 403


def test_the_bank_reads_the_facts_and_the_dispute_beside_the_application(client, officer, submitted, disputed):
    client.force_login(officer)

    page = chinese(client, reverse("web:bank-application", args=[submitted.pk]))

    assert "核实信息与异议" in page
    assert "ZXGK-2026-0042" in page
    assert "案件已于十月结案" in page


def test_the_bank_sees_the_pledged_rights_flags_and_the_failed_ground(client, officer, enterprise):
    original = IPAssetFactory(owner=enterprise, title="一种纺织品染色装置")
    IPAssetFactory(owner=enterprise, title="一种纺织品的染色装置")
    filing_flags_refresh(enterprise_id=enterprise.pk)
    application = ApplicationFactory(enterprise=enterprise, product__bank=officer.organisation, status="submitted")
    ApplicationAsset.objects.create(application=application, asset=original)
    client.force_login(officer)

    page = chinese(client, reverse("web:bank-application", args=[application.pk]))

    assert "重复或近似申请" in page
    assert "存在非正常申请或恶意商标注册标记" in page  # pre-check ground 13
    assert "near_duplicate" not in page
