"""Creating and changing an enterprise profile: identifiers checked, reference data coherent."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import BankFactory, EnterpriseFactory, OrganisationFactory, UserFactory
from tongzhirong.accounts.models import Role
from tongzhirong.core.errors import PermissionDenied, ValidationFailed
from tongzhirong.core.reference import Chain, Cluster, District
from tongzhirong.enterprises.models import Enterprise, ProfileChange
from tongzhirong.enterprises.services import (
    EDITABLE_FIELDS,
    VERIFIED_FIELDS,
    enterprise_create,
    enterprise_update,
)
from tongzhirong.facts.catalogue import ENTERPRISE_FIELD_FACTS

pytestmark = pytest.mark.django_db

USCC = "914403001922038216"


def profile(**overrides):
    fields = {
        "legal_name": "南通恒创新材料有限公司",
        "district": District.RUGAO,
        "cluster": Cluster.NEW_MATERIALS,
        "chain": Chain.CHEMICAL_MATERIALS,
        "founded_on": dt.date(2012, 4, 18),
        "registered_capital": Decimal("20000000.00"),
        "employees": 140,
        "annual_revenue": Decimal("85000000.00"),
    }
    return {**fields, **overrides}


def owner(organisation):
    return UserFactory(organisation=organisation, role=Role.SME_OWNER)


def create(**fields) -> Enterprise:
    """A new SME's profile, created by its owner."""
    organisation = OrganisationFactory()
    return enterprise_create(actor=owner(organisation), organisation=organisation, **fields)


def test_an_sme_gets_its_profile():
    organisation = OrganisationFactory()

    enterprise = enterprise_create(actor=owner(organisation), organisation=organisation, uscc=USCC, **profile())

    assert Enterprise.objects.get(organisation=organisation) == enterprise


def test_a_lower_case_uscc_is_stored_in_capitals():
    enterprise = create(uscc=" 9144030071526726xg ", **profile())

    assert enterprise.uscc == "9144030071526726XG"


def test_a_uscc_with_a_wrong_check_character_is_refused_on_the_uscc_field():
    with pytest.raises(ValidationFailed) as refused:
        create(uscc="914403001922038217", **profile())

    assert refused.value.errors["uscc"] == ["USCC check character should be 6, not 7."]
    assert not Enterprise.objects.exists()


def test_a_uscc_already_on_the_platform_is_refused():
    EnterpriseFactory(uscc=USCC)

    with pytest.raises(ValidationFailed) as refused:
        create(uscc=USCC, **profile())

    assert "uscc" in refused.value.errors


def test_a_chain_outside_the_chosen_cluster_is_refused():
    with pytest.raises(ValidationFailed) as refused:
        create(
            uscc=USCC,
            **profile(cluster=Cluster.TEXTILES, chain=Chain.SOFTWARE),
        )

    assert refused.value.errors["chain"] == ["This chain is not part of the chosen cluster."]


def test_a_founding_date_in_the_future_is_refused():
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    with pytest.raises(ValidationFailed) as refused:
        create(uscc=USCC, **profile(founded_on=tomorrow))

    assert refused.value.errors["founded_on"] == ["The founding date cannot be in the future."]


def test_a_company_founded_today_is_accepted():
    enterprise = create(uscc=USCC, **profile(founded_on=timezone.localdate()))

    assert enterprise.founded_on == timezone.localdate()


def test_a_little_giant_is_a_specialised_sme_first():
    with pytest.raises(ValidationFailed) as refused:
        create(uscc=USCC, **profile(is_little_giant=True))

    assert "is_little_giant" in refused.value.errors


def test_only_an_sme_organisation_has_an_enterprise_profile():
    bank = BankFactory()

    with pytest.raises(PermissionDenied, match="Only an SME has an enterprise profile"):
        enterprise_create(actor=UserFactory(organisation=bank, role=Role.BANK_OFFICER), organisation=bank, uscc=USCC)


def test_only_the_smes_own_people_create_its_profile():
    # The service held no check: the API refused other kinds, but a page, a task or the shell could give any
    # organisation a profile in any caller's name.
    stranger = UserFactory(organisation=OrganisationFactory(), role=Role.SME_OWNER)

    with pytest.raises(PermissionDenied):
        enterprise_create(actor=stranger, organisation=OrganisationFactory(), uscc=USCC, **profile())

    assert not Enterprise.objects.exists()


def test_fields_outside_the_profile_are_refused():
    with pytest.raises(ValidationFailed) as refused:
        create(uscc=USCC, **profile(is_superuser=True))

    assert refused.value.errors == {"is_superuser": ["Unknown field."]}


def test_the_enterprises_own_people_update_its_profile():
    enterprise = EnterpriseFactory()
    owner = UserFactory(organisation=enterprise.organisation)

    enterprise_update(enterprise=enterprise, actor=owner, employees=95)

    enterprise.refresh_from_db()
    assert enterprise.employees == 95


def test_nobody_else_updates_the_profile():
    enterprise = EnterpriseFactory()

    with pytest.raises(PermissionDenied):
        enterprise_update(enterprise=enterprise, actor=UserFactory(), employees=1)

    enterprise.refresh_from_db()
    assert enterprise.employees == 80


def test_the_uscc_cannot_be_changed_by_an_update():
    enterprise = EnterpriseFactory()
    owner = UserFactory(organisation=enterprise.organisation)

    with pytest.raises(ValidationFailed) as refused:
        enterprise_update(enterprise=enterprise, actor=owner, uscc=USCC)

    assert refused.value.errors == {"uscc": ["This field cannot be changed."]}


def test_an_update_is_validated_like_a_creation():
    enterprise = EnterpriseFactory()
    owner = UserFactory(organisation=enterprise.organisation)

    with pytest.raises(ValidationFailed) as refused:
        enterprise_update(enterprise=enterprise, actor=owner, chain=Chain.WIND_POWER)

    assert "chain" in refused.value.errors
    enterprise.refresh_from_db()
    assert enterprise.chain == Chain.SOFTWARE


@pytest.mark.parametrize("field", sorted(VERIFIED_FIELDS))
def test_a_verified_field_cannot_be_changed_by_its_owner(field):
    enterprise = EnterpriseFactory()
    owner = UserFactory(organisation=enterprise.organisation)
    before = Enterprise.objects.values().get(pk=enterprise.pk)

    with pytest.raises(ValidationFailed) as refused:
        enterprise_update(enterprise=enterprise, actor=owner, **{field: before[field]})

    assert refused.value.errors == {
        field: ["This comes from a verified source and cannot be changed here; dispute the fact if it is wrong."]
    }
    assert Enterprise.objects.values().get(pk=enterprise.pk) == before
    assert not ProfileChange.objects.exists()


def test_every_changed_field_leaves_who_when_old_and_new():
    enterprise = EnterpriseFactory(employees=80, annual_revenue=Decimal("30000000.00"))
    owner = UserFactory(organisation=enterprise.organisation)

    enterprise_update(enterprise=enterprise, actor=owner, employees=95, annual_revenue=Decimal("30000000.00"))
    enterprise_update(enterprise=enterprise, actor=owner, annual_revenue=Decimal("31000000.50"))

    trail = [(c.actor, c.field, c.old, c.new, c.source) for c in enterprise.changes.all()]
    assert trail == [
        (owner, "employees", 80, 95, ""),
        (owner, "annual_revenue", "30000000.00", "31000000.50", ""),
    ]
    assert all(c.created_at is not None for c in enterprise.changes.all())


def test_the_verified_fields_are_exactly_those_a_source_decides():
    assert set(VERIFIED_FIELDS) == set(ENTERPRISE_FIELD_FACTS)
    assert not set(VERIFIED_FIELDS) & set(EDITABLE_FIELDS)
