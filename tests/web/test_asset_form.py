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


def _mark(client, **extra):
    client.post(
        reverse("web:sme-assets"),
        {
            "asset-ip_type": "trademark",
            "asset-identifier": "13800042",
            "asset-title": "通知（第25类）",
            "asset-filing_date": "2019-03-01",
            "asset-grant_date": "2020-01-07",
            "asset-legal_status": "valid",
            "asset-claims_count": "0",
            "asset-forward_citations": "0",
            "asset-family_size": "1",
            "asset-licence_count": "1",
            "asset-licence_revenue": "120000",
            **extra,
        },
    )


def test_the_asset_form_records_a_marks_classes_renewals_use_and_recognition(client, owner):
    """Issue 20, item 4: what a mark's valuation reads can be entered on the page too."""
    client.force_login(owner)
    _mark(
        client,
        **{
            "asset-filing_date": "2014-03-01",
            "asset-grant_date": "2015-01-07",
            "asset-nice_classes": "25; 35，3",
            "asset-renewals": "1",
            "asset-use_revenue": "6500000",
            "asset-well_known": "on",
        },
    )
    asset = IPAsset.objects.get(owner=owner.organisation.enterprise)
    assert asset.nice_classes == [3, 25, 35]
    assert (asset.renewals, asset.use_revenue, asset.well_known) == (1, 6_500_000, True)


def test_a_mark_without_use_evidence_records_none(client, owner):
    client.force_login(owner)
    _mark(client, **{"asset-nice_classes": "25"})
    asset = IPAsset.objects.get(owner=owner.organisation.enterprise)
    assert (asset.nice_classes, asset.renewals, asset.use_revenue, asset.well_known) == ([25], 0, 0, False)


def test_a_nice_class_out_of_range_is_a_form_error(client, owner):
    client.force_login(owner)
    _mark(client, **{"asset-nice_classes": "25; 46"})
    assert not IPAsset.objects.exists()
