"""The database keeps IP records coherent: dates in order and one live record per right."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.db import refused_by_database
from tests.factories import EnterpriseFactory, IPAssetFactory
from tongzhirong.assets.models import IPAsset

pytestmark = pytest.mark.django_db

ONE_LIVE_RECORD = ("ipasset_one_live_record", "assets_ipasset.ip_type, assets_ipasset.identifier")


def test_a_grant_date_before_the_filing_date_is_refused():
    asset = IPAssetFactory()

    with refused_by_database("ipasset_grant_after_filing"):
        IPAsset.objects.filter(pk=asset.pk).update(grant_date=dt.date(2019, 5, 9))

    asset.refresh_from_db()
    assert asset.grant_date == dt.date(2021, 8, 20)


def test_a_grant_on_the_filing_date_is_allowed():
    asset = IPAssetFactory()

    IPAsset.objects.filter(pk=asset.pk).update(grant_date=asset.filing_date)

    asset.refresh_from_db()
    assert asset.grant_date == asset.filing_date


def test_an_expiry_on_or_before_the_filing_date_is_refused():
    asset = IPAssetFactory()

    with refused_by_database("ipasset_expiry_after_filing"):
        IPAsset.objects.filter(pk=asset.pk).update(expiry_date=asset.filing_date, grant_date=None)


def test_an_unknown_legal_status_is_refused():
    asset = IPAssetFactory()

    with refused_by_database("ipasset_legal_status_valid"):
        IPAsset.objects.filter(pk=asset.pk).update(legal_status="bogus")


def test_bulk_create_cannot_write_a_second_live_record_of_the_same_right():
    first = IPAssetFactory()
    second = IPAssetFactory.build(owner=EnterpriseFactory(), identifier=first.identifier)

    with refused_by_database(*ONE_LIVE_RECORD):
        IPAsset.objects.bulk_create([second])

    assert IPAsset.objects.filter(identifier=first.identifier).count() == 1


def test_the_same_right_may_be_recorded_again_once_the_first_record_is_archived():
    first = IPAssetFactory()
    IPAsset.objects.filter(pk=first.pk).update(archived_at=timezone.now())

    IPAsset.objects.bulk_create([IPAssetFactory.build(owner=EnterpriseFactory(), identifier=first.identifier)])

    assert IPAsset.objects.filter(identifier=first.identifier).count() == 2


def test_unarchiving_a_record_that_has_a_live_successor_is_refused():
    first = IPAssetFactory(archived_at=timezone.now())
    IPAssetFactory(identifier=first.identifier)

    with refused_by_database(*ONE_LIVE_RECORD):
        IPAsset.objects.filter(pk=first.pk).update(archived_at=None)


def test_the_same_number_under_another_ip_type_is_another_right():
    first = IPAssetFactory(ip_type="trademark", identifier="12345678", nice_classes=[9])

    IPAsset.objects.bulk_create([IPAssetFactory.build(owner=first.owner, ip_type="ic_layout", identifier="12345678")])

    assert IPAsset.objects.filter(identifier="12345678").count() == 2
