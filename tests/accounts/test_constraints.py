"""The database refuses people and organisations that the model would never produce."""

import pytest

from tests.db import refused_by_database
from tests.factories import OrganisationFactory, UserFactory
from tongzhirong.accounts.models import Organisation, User

pytestmark = pytest.mark.django_db


def test_an_unknown_organisation_kind_is_refused():
    organisation = OrganisationFactory()

    with refused_by_database("organisation_kind_valid"):
        Organisation.objects.filter(pk=organisation.pk).update(kind="bogus")


def test_an_unknown_role_is_refused():
    user = UserFactory()

    with refused_by_database("user_role_valid"):
        User.objects.filter(pk=user.pk).update(role="king")


def test_a_person_with_a_role_belongs_to_an_organisation():
    user = UserFactory()

    with refused_by_database("user_role_needs_organisation"):
        User.objects.filter(pk=user.pk).update(organisation=None)


def test_a_bare_superuser_needs_neither_role_nor_organisation():
    User.objects.create_superuser("root", password="pw-for-tests-1")

    assert User.objects.get(username="root").organisation is None
