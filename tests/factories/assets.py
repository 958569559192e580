"""IP assets with valid identifiers (check characters included), and their co-owners."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from tests.factories.enterprises import EnterpriseFactory
from tongzhirong.assets.models import CoOwner, IPAsset, LegalStatus
from tongzhirong.core.identifiers import make_patent_number
from tongzhirong.core.reference import IPType


class IPAssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IPAsset

    owner = factory.SubFactory(EnterpriseFactory)
    ip_type = IPType.INVENTION_PATENT
    identifier = factory.Sequence(lambda n: make_patent_number(n + 1))
    title = factory.Sequence(lambda n: f"一种智能纺织设备 {n}")
    filing_date = dt.date(2019, 5, 10)
    grant_date = dt.date(2021, 8, 20)
    expiry_date = dt.date(2039, 5, 10)
    legal_status = LegalStatus.VALID
    # Paid ahead of whatever today is: a fixed date falls overdue as the calendar moves, and an overdue patent
    # cannot be pledged (financing.eligibility).
    annual_fee_paid_through = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=180))
    claims_count = 10
    ipc_classes = factory.LazyFunction(lambda: ["D06B 1/02"])


class CoOwnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CoOwner

    asset = factory.SubFactory(IPAssetFactory)
    name = factory.Sequence(lambda n: f"共有人 {n}")
    share_percent = Decimal("30.00")
