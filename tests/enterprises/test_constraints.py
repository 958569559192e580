"""The database refuses enterprise profiles outside the reference data."""

from decimal import Decimal

import pytest

from tests.db import refused_by_database
from tests.factories import EnterpriseFactory
from tongzhirong.enterprises.models import Enterprise

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("field", "value", "constraint"),
    [
        ("district", "110105", "enterprise_district_valid"),
        ("cluster", "tourism", "enterprise_cluster_valid"),
        ("chain", "tourism", "enterprise_chain_valid"),
        ("existing_debt", Decimal("-1.00"), "enterprise_existing_debt_non_negative"),
        ("annual_revenue", Decimal("-1.00"), "enterprise_annual_revenue_non_negative"),
    ],
)
def test_values_outside_the_reference_data_are_refused(field, value, constraint):
    enterprise = EnterpriseFactory()

    with refused_by_database(constraint):
        Enterprise.objects.filter(pk=enterprise.pk).update(**{field: value})
