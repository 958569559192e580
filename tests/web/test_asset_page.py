"""The SME's asset page reads the stored valuation: registering values the asset after commit, reading never does."""

import pytest
from django.urls import reverse

from scoring.models import AssetValuation
from tests.factories import EnterpriseFactory, IPAssetFactory, UserFactory, make_patent_number
from tongzhirong.accounts.models import Role
from tongzhirong.assets.models import IPAsset

pytestmark = pytest.mark.django_db


@pytest.fixture
def sme(client, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    user = UserFactory(organisation=EnterpriseFactory().organisation, role=Role.SME_OWNER)
    client.force_login(user)
    return user


def test_an_asset_not_yet_valued_says_so_and_reading_it_values_nothing(client, sme):
    asset = IPAssetFactory(owner=sme.organisation.enterprise)

    page = client.get(reverse("web:sme-asset", args=[asset.pk])).content.decode()

    assert "尚未估值" in page
    assert not AssetValuation.objects.exists()


def test_a_patent_registered_on_the_page_shows_its_value_range(client, sme, django_capture_on_commit_callbacks):
    body = {
        "asset-ip_type": "invention_patent",
        "asset-identifier": make_patent_number(5151),
        "asset-title": "一种测试方法",
        "asset-filing_date": "2019-05-10",
        "asset-legal_status": "pending",
        "asset-claims_count": 5,
        "asset-forward_citations": 3,
        "asset-family_size": 1,
        "asset-licence_count": 0,
        "asset-licence_revenue": "0",
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("web:sme-assets"), body).status_code == 302
    asset = IPAsset.objects.get(identifier=body["asset-identifier"])

    page = client.get(reverse("web:sme-asset", args=[asset.pk])).content.decode()

    assert AssetValuation.objects.filter(asset=asset).count() == 1
    assert "尚未估值" not in page
    assert "P50" in page
