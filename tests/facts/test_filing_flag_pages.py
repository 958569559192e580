"""The flags and their evidence on the SME's asset page, in Chinese."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import IPAssetFactory
from tongzhirong.facts.flagging import filing_flags_refresh

pytestmark = pytest.mark.django_db

DYE_VARIED = "一种纺织品的染色装置"


@pytest.fixture
def firm(enterprise):
    return enterprise


@pytest.fixture
def refiled(firm):
    return (
        IPAssetFactory(owner=firm, title="一种纺织品染色装置"),
        IPAssetFactory(owner=firm, title=DYE_VARIED),
        IPAssetFactory(owner=firm, title="一种船舶用锚链清洗设备"),
    )


def chinese(client, url):
    return client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()


def test_the_sme_sees_the_flag_and_its_evidence_on_the_assets_page(client, owner, firm, refiled):
    original, copy, _other = refiled
    filing_flags_refresh(enterprise_id=firm.pk)
    client.force_login(owner)

    page = chinese(client, reverse("web:sme-asset", args=[original.pk]))

    assert "非正常申请与恶意商标注册标记" in page
    assert "重复或近似申请" in page
    assert f"与 {copy.identifier}《{DYE_VARIED}》" in page
    assert "near_duplicate" not in page


def test_a_clean_asset_page_has_no_flag_panel(client, owner, firm, refiled):
    _original, _copy, clean = refiled
    filing_flags_refresh(enterprise_id=firm.pk)
    client.force_login(owner)

    assert "非正常申请与恶意商标注册标记" not in chinese(client, reverse("web:sme-asset", args=[clean.pk]))
