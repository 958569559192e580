"""The appraisal firm's page: the loans it appraised for a pool filing, and for those in default its share of
the loss as the waterfall allocates it; nobody else's filings, and no other side opens it."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from tests.factories import OrganisationFactory, UserFactory
from tests.risksharing.helpers import bank_officer, city_user, defaulted_loan, pool_for, registered_application
from tests.web.test_pages import queries_for, signed_in
from tongzhirong.accounts.models import OrganisationKind, Role
from tongzhirong.risksharing import selectors, services, waterfall
from tongzhirong.web.templatetags.figures import money

pytestmark = pytest.mark.django_db

PAGE = reverse("web:appraiser")


def appraiser_user():
    return UserFactory(organisation=OrganisationFactory(kind=OrganisationKind.APPRAISER), role=Role.APPRAISER)


@pytest.fixture
def appraiser():
    return appraiser_user()


@pytest.fixture
def pool():
    # Zhongshan's 54 : 26 : 16 : 4 without the insurer; the appraiser liable up to 5,000 yuan a loan.
    return pool_for(
        city_user(), fund="1000000.00", share_fund=D(54), share_bank=D(26), share_appraiser=D(4), appraiser_cap=D(5000)
    )


def file(pool, appraiser, *, officer=None, **application):
    officer = officer or bank_officer()
    app = registered_application(officer, **application)
    services.pool_file(
        actor=officer, pool=pool, application=app, appraiser=appraiser.organisation if appraiser else None
    )
    return officer, app


def test_the_appraiser_lands_on_its_loans_and_sees_its_share_of_a_defaulted_ones_loss(client, appraiser, pool):
    officer, application = file(pool, appraiser)
    loan = defaulted_loan(officer, application)
    _, other = file(pool, None)  # appraised by nobody: not shown
    signed_in(client, appraiser)
    assert client.get("/").url == PAGE
    page = client.get(PAGE).content.decode()
    assert application.enterprise.legal_name in page
    assert other.enterprise.legal_name not in page
    expected = selectors.loan_allocation(loan=loan).shares[waterfall.APPRAISER]
    assert expected > 0
    assert f'data-testid="appraiser-exposure">{money(expected)}<' in page


def test_another_appraisers_loans_are_not_shown(client, appraiser, pool):
    _, application = file(pool, appraiser_user())
    signed_in(client, appraiser)
    assert application.enterprise.legal_name not in client.get(PAGE).content.decode()


@pytest.mark.parametrize("kind", [OrganisationKind.BANK, OrganisationKind.INSURER, OrganisationKind.SME])
def test_other_sides_do_not_open_the_appraisers_page(client, kind):
    signed_in(client, UserFactory(organisation=OrganisationFactory(kind=kind)))
    assert client.get(PAGE).status_code == 403


def test_the_page_does_not_grow_queries_with_loans_in_good_standing(client, appraiser, pool):
    file(pool, appraiser)
    signed_in(client, appraiser)
    before = queries_for(client, PAGE)
    for _ in range(3):
        file(pool, appraiser)
    assert queries_for(client, PAGE) == before
