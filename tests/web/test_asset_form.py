"""The SME's asset form captures what the valuation scores (issue 18, item 10): IPC classes, backward citations and
overseas family members; and the identifier's hint is on the page where the field points to it."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from tests.factories import EnterpriseFactory, UserFactory, make_patent_number
from tongzhirong.accounts.models import Role
from tongzhirong.assets.models import IPAsset

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return UserFactory(organisation=EnterpriseFactory().organisation, role=Role.SME_OWNER)


def test_the_asset_form_records_ipc_classes_citations_and_overseas_family(client, owner):
    client.force_login(owner)
    identifier = make_patent_number(4242, year=2019)
    client.post(
        reverse("web:sme-assets"),
        {
            "asset-ip_type": "invention_patent",
            "asset-identifier": identifier,
            "asset-title": "一种声学降噪装置",
            "asset-filing_date": "2019-03-01",
            "asset-grant_date": "2021-05-01",
            "asset-legal_status": "valid",
            "asset-annual_fee_paid_through": (dt.date.today() + dt.timedelta(days=200)).isoformat(),
            "asset-claims_count": "12",
            "asset-forward_citations": "9",
            "asset-family_size": "4",
            "asset-licence_count": "0",
            "asset-licence_revenue": "0",
            "asset-ipc_classes": "H04R 1/10; G10K 11/178\nH04R 3/00",
            "asset-backward_citations": "15",
            "asset-overseas_family_members": "2",
        },
    )
    asset = IPAsset.objects.get(owner=owner.organisation.enterprise)
    assert asset.ipc_classes == ["H04R 1/10", "G10K 11/178", "H04R 3/00"]
    assert asset.backward_citations == 15
    assert asset.overseas_family_members == 2


def test_every_hint_a_field_points_to_is_on_the_asset_page(client, owner):
    client.force_login(owner)
    page = client.get(reverse("web:sme-assets")).content.decode()
    described = re.findall(r'aria-describedby="([^"]+)"', page)
    assert "id_asset-identifier_helptext" in described
    for target in described:
        assert f'id="{target}"' in page
