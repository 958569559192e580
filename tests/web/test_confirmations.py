"""Destructive moves ask first, and every move says what happened and what comes next (issue 18, item 7): one
click no longer withdraws an accepted offer."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import ApplicationFactory, UserFactory
from tongzhirong.accounts.models import Role
from tongzhirong.financing.models import Application, ApplicationStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted():
    return ApplicationFactory(
        status=ApplicationStatus.OFFER_ACCEPTED,
        approved_amount=Decimal("5800000.00"),
        approved_rate=Decimal("0.04"),
        approved_term_months=12,
    )


@pytest.fixture
def owner(accepted):
    return UserFactory(organisation=accepted.enterprise.organisation, role=Role.SME_OWNER)


def url(application):
    return reverse("web:sme-application", args=[application.pk])


def test_one_click_does_not_withdraw_an_accepted_offer(client, owner, accepted):
    client.force_login(owner)
    page = client.post(url(accepted), {"action": "withdraw"}, follow=True).content.decode()
    assert Application.objects.get(pk=accepted.pk).status == ApplicationStatus.OFFER_ACCEPTED
    assert "Tick the box to confirm" in page


def test_the_page_asks_naming_the_offer_and_the_confirmed_withdrawal_goes_through(client, owner, accepted):
    client.force_login(owner)
    page = client.get(url(accepted)).content.decode()
    assert 'name="confirm" value="yes" required' in page
    assert "gives up the accepted offer of 580万元" in page
    done = client.post(url(accepted), {"action": "withdraw", "confirm": "yes"}, follow=True).content.decode()
    assert Application.objects.get(pk=accepted.pk).status == ApplicationStatus.WITHDRAWN
    assert "Withdrawn: the application is closed" in done


def test_a_move_says_what_comes_next(client, owner):
    approved = ApplicationFactory(
        enterprise=owner.organisation.enterprise,
        status=ApplicationStatus.APPROVED,
        approved_amount=Decimal("500000.00"),
        approved_rate=Decimal("0.04"),
        approved_term_months=12,
    )
    client.force_login(owner)
    done = client.post(url(approved), {"action": "accept-offer"}, follow=True).content.decode()
    assert "Offer accepted: the bank prepares the pledge filing package" in done
