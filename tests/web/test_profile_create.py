"""The SME creates its enterprise profile on the profile page, in its own name (the service checks who asks)."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tongzhirong.accounts.models import Role
from tongzhirong.core.reference import Chain, Cluster, District
from tongzhirong.enterprises.models import Enterprise

pytestmark = pytest.mark.django_db


def test_a_newcomer_creates_its_profile_on_the_page(client):
    newcomer = UserFactory(role=Role.SME_OWNER)
    client.force_login(newcomer)

    response = client.post(
        reverse("web:sme-profile"),
        {
            "action": "profile",
            "uscc": "914403001922038216",
            "legal_name": "南通恒创新材料有限公司",
            "district": District.RUGAO,
            "cluster": Cluster.NEW_MATERIALS,
            "chain": Chain.CHEMICAL_MATERIALS,
            "founded_on": "2012-04-18",
            "registered_capital": "20000000.00",
            "employees": 140,
            "annual_revenue": "85000000.00",
            "existing_debt": "0",
            "prior_ip_loans": 0,
            "overdue_events_24m": 0,
            "max_days_past_due_24m": 0,
        },
    )

    assert response.status_code == 302
    assert Enterprise.objects.get(organisation=newcomer.organisation).legal_name == "南通恒创新材料有限公司"
