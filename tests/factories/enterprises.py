"""Enterprises with valid USCCs."""

import datetime as dt
from decimal import Decimal

import factory

from tests.factories.accounts import OrganisationFactory
from tongzhirong.core.identifiers import make_uscc
from tongzhirong.core.reference import Chain, Cluster, District
from tongzhirong.enterprises.models import Enterprise


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    organisation = factory.SubFactory(OrganisationFactory)
    legal_name = factory.Sequence(lambda n: f"南通测试科技有限公司{n}")
    uscc = factory.Sequence(lambda n: make_uscc(n + 1))
    district = District.CHONGCHUAN
    cluster = Cluster.NEXT_GEN_IT
    chain = Chain.SOFTWARE
    founded_on = dt.date(2015, 3, 1)
    registered_capital = Decimal("5000000.00")
    employees = 80
    annual_revenue = Decimal("30000000.00")
    is_high_tech = True
