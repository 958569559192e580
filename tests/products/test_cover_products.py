"""Insurers and guarantors post and version their products (issue 18, item 7): a revision is a new version, the old
one withdrawn but unchanged for whoever took it; only the product's own underwriters post or revise."""

from decimal import Decimal

import pytest

from tests.factories import BankFactory, UserFactory
from tongzhirong.accounts.models import OrganisationKind, Role
from tongzhirong.core.errors import Conflict, PermissionDenied, ValidationFailed
from tongzhirong.products.models import GuaranteeProduct, InsuranceProduct
from tongzhirong.products.services import cover_product_post, cover_product_revise

pytestmark = pytest.mark.django_db

TERMS = {"premium_rate": Decimal("0.012"), "coverage_ratio": Decimal("0.6"), "coverage_cap": Decimal("3000000")}


@pytest.fixture
def underwriter():
    return UserFactory(organisation=BankFactory(kind=OrganisationKind.INSURER), role=Role.UNDERWRITER)


def test_an_insurer_posts_a_product_and_revises_it_as_a_new_version(underwriter):
    first = cover_product_post(actor=underwriter, name="知识产权质押融资保证保险", **TERMS)
    assert (first.version, first.is_active) == (1, True)
    second = cover_product_revise(actor=underwriter, product=first, premium_rate=Decimal("0.010"))
    first.refresh_from_db()
    assert (second.version, second.is_active, second.supersedes_id) == (2, True, first.pk)
    assert second.premium_rate == Decimal("0.010")
    assert second.coverage_cap == TERMS["coverage_cap"]
    assert first.is_active is False
    assert first.premium_rate == Decimal("0.012")  # what earlier takers were offered stays
    with pytest.raises(Conflict):
        cover_product_revise(actor=underwriter, product=first, premium_rate=Decimal("0.02"))


def test_a_guarantor_posts_with_its_own_terms():
    guarantor = UserFactory(organisation=BankFactory(kind=OrganisationKind.GUARANTOR), role=Role.UNDERWRITER)
    product = cover_product_post(
        actor=guarantor, name="知识产权融资担保", fee_rate=Decimal("0.01"), coverage_ratio=Decimal("0.8")
    )
    assert isinstance(product, GuaranteeProduct)
    with pytest.raises(ValidationFailed):
        cover_product_post(actor=guarantor, name="另一产品", fee_rate=Decimal("0.01"))  # coverage missing


def test_only_the_products_own_underwriters_post_and_revise(underwriter):
    product = cover_product_post(actor=underwriter, name="保证保险", **TERMS)
    officer = UserFactory(organisation=BankFactory(), role=Role.BANK_OFFICER)
    rival = UserFactory(organisation=BankFactory(kind=OrganisationKind.INSURER), role=Role.UNDERWRITER)
    with pytest.raises(PermissionDenied):
        cover_product_post(actor=officer, name="x", **TERMS)
    with pytest.raises(PermissionDenied):
        cover_product_revise(actor=rival, product=product, premium_rate=Decimal("0.02"))
    with pytest.raises(ValidationFailed):
        cover_product_post(actor=underwriter, name="保证保险", **TERMS)  # the name is taken: revise it
    assert InsuranceProduct.objects.count() == 1
