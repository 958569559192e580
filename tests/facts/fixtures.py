"""An SME with its owner, a bank reviewing its submitted application, the platform: the parties of the facts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import (
    ApplicationFactory,
    BankOfficerFactory,
    EnterpriseFactory,
    IPAssetFactory,
    PlatformAdminFactory,
    UserFactory,
)
from tongzhirong.accounts.models import Role
from tongzhirong.facts.models import AuthorisationScope
from tongzhirong.facts.services import credit_authorisation_sign
from tongzhirong.financing.models import ApplicationAsset


def observed(days_ago: int = 1) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days_ago)


@pytest.fixture
def enterprise():
    # Declared: two overdue events, grade B, high-tech.
    return EnterpriseFactory(overdue_events_24m=2, max_days_past_due_24m=20, tax_credit_grade="B")


@pytest.fixture
def owner(enterprise):
    return UserFactory(organisation=enterprise.organisation, role=Role.SME_OWNER)


@pytest.fixture
def officer():
    return BankOfficerFactory()


@pytest.fixture
def platform():
    return PlatformAdminFactory()


@pytest.fixture
def authorisation(enterprise, owner, officer):
    return credit_authorisation_sign(
        actor=owner,
        enterprise=enterprise,
        bank=officer.organisation,
        scope=AuthorisationScope.LOAN_REVIEW,
        expires_on=timezone.localdate() + dt.timedelta(days=90),
    )


@pytest.fixture
def submitted(enterprise, officer):
    """Submitted to the officer's bank, one patent pledged (not yet scored)."""
    application = ApplicationFactory(enterprise=enterprise, product__bank=officer.organisation, status="submitted")
    ApplicationAsset.objects.create(application=application, asset=IPAssetFactory(owner=enterprise))
    return application
