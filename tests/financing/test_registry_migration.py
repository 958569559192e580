"""financing 0013: rows written before registries existed take the registry of their assets (until then a
mixed portfolio was refused, so each application's assets registered at one place)."""

import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from tests.factories import ApplicationFactory, BankOfficerFactory, IPAssetFactory
from tongzhirong.core.reference import IPType
from tongzhirong.financing.models import ApplicationAsset, PledgeRegistration

pytestmark = pytest.mark.django_db

migration = importlib.import_module("tongzhirong.financing.migrations.0013_registry_per_filing")


def filed(ip_type: str) -> PledgeRegistration:
    application = ApplicationFactory()
    asset = IPAssetFactory(owner=application.enterprise, ip_type=ip_type, expiry_date=None, ipc_classes=[])
    ApplicationAsset.objects.create(application=application, asset=asset)
    # As the column's migration default left every existing row.
    return PledgeRegistration.objects.create(
        application=application, registry="cnipa", filed_at=timezone.now(), filed_by=BankOfficerFactory()
    )


def test_existing_rows_take_the_registry_of_their_assets():
    patent, software = filed(IPType.INVENTION_PATENT), filed(IPType.SOFTWARE_COPYRIGHT)
    mark = filed(IPType.TRADEMARK)
    migration.existing_rows_registry(apps, None)
    for registration, registry in ((patent, "cnipa"), (software, "copyright_centre"), (mark, "cnipa")):
        registration.refresh_from_db()
        assert registration.registry == registry
