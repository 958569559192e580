"""Organisations carry a valid USCC; people hold only the roles their organisation's kind allows."""

import pytest

from tests.factories import BankFactory, OrganisationFactory
from tongzhirong.accounts.models import OrganisationKind, Role
from tongzhirong.accounts.services import organisation_create, user_create
from tongzhirong.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db


def test_an_organisations_uscc_is_stored_in_canonical_form():
    organisation = organisation_create(kind=OrganisationKind.BANK, name="江苏银行南通分行", uscc="91110000802100433b")

    assert organisation.uscc == "91110000802100433B"


def test_an_organisation_with_a_bad_uscc_is_refused():
    with pytest.raises(ValidationFailed) as refused:
        organisation_create(kind=OrganisationKind.BANK, name="江苏银行南通分行", uscc="91110000802100433C")

    assert refused.value.errors == {"uscc": ["USCC check character should be B, not C."]}


def test_an_organisation_may_have_no_uscc():
    assert organisation_create(kind=OrganisationKind.CITY_OFFICE, name="南通市委金融办").uscc is None


def test_a_person_joins_with_a_role_of_their_organisations_kind():
    user = user_create(
        username="officer", password="pw-for-tests-1", organisation=BankFactory(), role=Role.BANK_OFFICER
    )

    assert user.check_password("pw-for-tests-1")
    assert user.kind == OrganisationKind.BANK


def test_an_sme_person_cannot_be_a_bank_officer():
    with pytest.raises(ValidationFailed) as refused:
        user_create(username="x", password="pw-for-tests-1", organisation=OrganisationFactory(), role=Role.BANK_OFFICER)

    assert "role" in refused.value.errors
