"""Organisations carry a valid USCC; people hold only the roles their organisation's kind allows."""

import pytest

from tests.factories import BankFactory, OrganisationFactory
from tongzhirong.accounts.models import BANK_ROLES, ROLES_BY_KIND, SME_ROLES, OrganisationKind, Role
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


def test_every_service_checks_the_one_set_of_sme_roles_and_of_bank_roles():
    from tongzhirong.financing import filing
    from tongzhirong.financing.models import SigningParty
    from tongzhirong.financing.services import applications as financing
    from tongzhirong.risksharing.services import common, disposal
    from tongzhirong.subsidies import services as subsidies

    assert ROLES_BY_KIND[OrganisationKind.SME] is SME_ROLES == {Role.SME_OWNER, Role.SME_STAFF}
    assert ROLES_BY_KIND[OrganisationKind.BANK] is BANK_ROLES
    assert set(BANK_ROLES) == {Role.BANK_OFFICER, Role.BANK_CHECKER, Role.BANK_MANAGER}
    assert financing.SME_ROLES is disposal.SME_ROLES is subsidies.SME_ROLES is SME_ROLES
    assert financing.BANK_ROLES is common.BANK_ROLES is filing.SIGNING_ROLES[SigningParty.PLEDGEE] is BANK_ROLES
