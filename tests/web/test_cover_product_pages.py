"""The insurer posts a product and publishes a new version from its page (issue 18, item 7), rates typed in %."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import BankFactory, UserFactory
from tongzhirong.accounts.models import OrganisationKind, Role
from tongzhirong.products.models import InsuranceProduct

pytestmark = pytest.mark.django_db


def test_the_insurer_posts_and_versions_a_product_from_its_page(client):
    insurer = UserFactory(organisation=BankFactory(kind=OrganisationKind.INSURER), role=Role.UNDERWRITER)
    client.force_login(insurer)
    url = reverse("web:provider")
    client.post(
        url,
        {
            "action": "post-product",
            "new-name": "知识产权质押融资保证保险",
            "new-premium_rate": "1.2",
            "new-coverage_ratio": "60",
            "new-coverage_cap": "3000000",
        },
    )
    first = InsuranceProduct.objects.get()
    assert (first.premium_rate, first.coverage_ratio, first.version) == (Decimal("0.012"), Decimal("0.6"), 1)
    prefix = f"revise-{first.pk}"
    client.post(
        url,
        {
            "action": "revise-product",
            "product": first.pk,
            f"{prefix}-premium_rate": "1.0",
            f"{prefix}-coverage_ratio": "60",
            f"{prefix}-coverage_cap": "3000000",
        },
    )
    second = InsuranceProduct.objects.get(is_active=True)
    assert (second.version, second.premium_rate) == (2, Decimal("0.010"))
    page = client.get(url).content.decode()
    assert "v2" in page
    assert "v1" in page
    assert "1%" in page


def test_a_guarantor_sees_the_form_of_its_own_terms(client):
    guarantor = UserFactory(organisation=BankFactory(kind=OrganisationKind.GUARANTOR), role=Role.UNDERWRITER)
    client.force_login(guarantor)
    page = client.get(reverse("web:provider")).content.decode()
    assert 'name="new-fee_rate"' in page
    assert 'name="new-premium_rate"' not in page
