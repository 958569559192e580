"""Posting and changing loan products: terms are coherent, and frozen once an application used them."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.test import RequestFactory

from tests.factories import (
    ApplicationFactory,
    BankOfficerFactory,
    LoanProductFactory,
    SuperuserFactory,
    UserFactory,
)
from tongzhirong.core.errors import ObjectLocked, PermissionDenied, ValidationFailed
from tongzhirong.core.reference import IPType, RepaymentMethod
from tongzhirong.products.admin import LoanProductAdmin, PledgeRateCapAdmin
from tongzhirong.products.models import LoanProduct, PledgeRateCap
from tongzhirong.products.services import loan_product_create, loan_product_is_locked, loan_product_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return BankOfficerFactory()


@pytest.fixture
def product(officer):
    return LoanProductFactory(bank=officer.organisation)


@pytest.fixture
def used_product(product):
    ApplicationFactory(product=product)
    return product


def terms(**overrides):
    fields = {
        "name": "知识产权质押贷",
        "min_amount": Decimal("1000000.00"),
        "max_amount": Decimal("10000000.00"),
        "min_term_months": 6,
        "max_term_months": 36,
        "min_rate": Decimal("0.035000"),
        "max_rate": Decimal("0.055000"),
        "repayment_methods": [RepaymentMethod.EQUAL_INSTALMENT, RepaymentMethod.INTEREST_ONLY],
    }
    return {**fields, **overrides}


CAPS = {IPType.INVENTION_PATENT: Decimal("0.25"), IPType.UTILITY_MODEL: Decimal("0.15")}


# --- Creating ---------------------------------------------------------------------------------


def test_a_bank_posts_a_product_with_its_pledge_rate_caps(officer):
    product = loan_product_create(actor=officer, bank=officer.organisation, pledge_rate_caps=CAPS, **terms())

    assert {c.ip_type: c.max_pledge_rate for c in product.pledge_rate_caps.all()} == CAPS


def test_a_product_needs_at_least_one_pledge_rate_cap(officer):
    with pytest.raises(ValidationFailed) as refused:
        loan_product_create(actor=officer, bank=officer.organisation, pledge_rate_caps={}, **terms())

    assert "pledge_rate_caps" in refused.value.errors


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"max_amount": Decimal("999999.99")}, "max_amount"),
        ({"max_term_months": 3}, "max_term_months"),
        ({"max_rate": Decimal("0.030000")}, "max_rate"),
        ({"repayment_methods": []}, "repayment_methods"),
        ({"repayment_methods": ["balloon"]}, "repayment_methods"),
        ({"eligible_districts": ["110105"]}, "eligible_districts"),
    ],
    ids=["amount-range", "term-range", "rate-range", "no-method", "unknown-method", "unknown-district"],
)
def test_contradicting_terms_are_refused_on_the_field_at_fault(officer, overrides, field):
    with pytest.raises(ValidationFailed) as refused:
        loan_product_create(actor=officer, bank=officer.organisation, pledge_rate_caps=CAPS, **terms(**overrides))

    assert field in refused.value.errors
    assert not LoanProduct.objects.exists()


def test_a_pledge_rate_cap_above_100_percent_leaves_no_product_behind(officer):
    with pytest.raises(ValidationFailed):
        loan_product_create(
            actor=officer, bank=officer.organisation, pledge_rate_caps={IPType.TRADEMARK: Decimal("1.5")}, **terms()
        )

    assert not LoanProduct.objects.exists()


def test_only_a_bank_posts_loan_products():
    sme_user = UserFactory()

    with pytest.raises(ValidationFailed) as refused:
        loan_product_create(actor=sme_user, bank=sme_user.organisation, pledge_rate_caps=CAPS, **terms())

    assert "bank" in refused.value.errors


def test_an_officer_cannot_post_for_another_bank(officer):
    with pytest.raises(PermissionDenied):
        loan_product_create(actor=BankOfficerFactory(), bank=officer.organisation, pledge_rate_caps=CAPS, **terms())


# --- Changing: frozen once used ---------------------------------------------------------------


def test_terms_change_freely_before_any_application(officer, product):
    loan_product_update(actor=officer, product=product, max_amount=Decimal("20000000.00"), name="升级版")

    product.refresh_from_db()
    assert (product.max_amount, product.name) == (Decimal("20000000.00"), "升级版")


def test_terms_are_locked_once_an_application_used_the_product(officer, used_product):
    with pytest.raises(ObjectLocked) as refused:
        loan_product_update(actor=officer, product=used_product, max_amount=Decimal("20000000.00"))

    assert refused.value.code == "locked"
    used_product.refresh_from_db()
    assert used_product.max_amount == Decimal("10000000.00")


def test_a_change_mixing_terms_and_publishing_is_locked_too(officer, used_product):
    with pytest.raises(ObjectLocked):
        loan_product_update(actor=officer, product=used_product, is_active=False, min_rate=Decimal("0.030000"))

    used_product.refresh_from_db()
    assert used_product.is_active


def test_a_used_product_can_still_be_withdrawn_and_republished(officer, used_product):
    loan_product_update(actor=officer, product=used_product, is_active=False)
    assert not LoanProduct.objects.get(pk=used_product.pk).is_active

    loan_product_update(actor=officer, product=used_product, is_active=True)
    assert LoanProduct.objects.get(pk=used_product.pk).is_active


def test_another_banks_officer_cannot_change_the_product(product):
    with pytest.raises(PermissionDenied):
        loan_product_update(actor=BankOfficerFactory(), product=product, is_active=False)


def test_an_update_is_validated_like_a_creation(officer, product):
    with pytest.raises(ValidationFailed) as refused:
        loan_product_update(actor=officer, product=product, max_amount=Decimal("1.00"))

    assert "max_amount" in refused.value.errors


def test_a_product_is_locked_exactly_when_an_application_used_it(product):
    assert not loan_product_is_locked(product)

    ApplicationFactory(product=product)

    assert loan_product_is_locked(product)


# --- The admin shows the same lock ------------------------------------------------------------


@pytest.fixture
def admin_request():
    request = RequestFactory().get("/admin/")
    request.user = SuperuserFactory()
    return request


def test_the_admin_edits_every_field_of_an_unused_product(admin_request, product):
    model_admin = LoanProductAdmin(LoanProduct, admin.site)

    assert not model_admin.get_readonly_fields(admin_request, product)


def test_the_admin_shows_a_used_products_terms_read_only_but_publishing_editable(admin_request, used_product):
    model_admin = LoanProductAdmin(LoanProduct, admin.site)

    readonly = set(model_admin.get_readonly_fields(admin_request, used_product))

    assert {"name", "min_amount", "max_amount", "min_rate", "max_rate", "repayment_methods", "bank"} <= readonly
    assert "is_active" not in readonly


def test_the_admin_cannot_change_a_used_products_caps_inline(admin_request, used_product):
    model_admin = LoanProductAdmin(LoanProduct, admin.site)
    inline = model_admin.get_inline_instances(admin_request, used_product)[0]

    assert not inline.has_change_permission(admin_request, used_product)
    assert not inline.has_add_permission(admin_request, used_product)
    assert not inline.has_delete_permission(admin_request, used_product)


def test_the_admin_add_form_for_a_new_product_is_fully_editable(admin_request):
    assert not LoanProductAdmin(LoanProduct, admin.site).get_readonly_fields(admin_request, None)


def test_the_pledge_rate_cap_admin_cannot_change_a_used_products_caps_either(admin_request, used_product):
    cap = PledgeRateCap.objects.get(product=used_product)
    model_admin = PledgeRateCapAdmin(PledgeRateCap, admin.site)

    assert not model_admin.has_change_permission(admin_request, cap)
    assert not model_admin.has_delete_permission(admin_request, cap)
