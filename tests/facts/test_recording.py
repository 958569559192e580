"""Recording what a source says: who may, what it sets, what stays of the applicant's declaration."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import BankOfficerFactory, IPAssetFactory, UserFactory
from tongzhirong.accounts.models import Role
from tongzhirong.core.errors import PermissionDenied, ValidationFailed
from tongzhirong.enterprises.models import Enterprise, ProfileChange
from tongzhirong.facts.catalogue import Source
from tongzhirong.facts.models import AuthorisationScope, Fact
from tongzhirong.facts.selectors import current_facts
from tongzhirong.facts.services import credit_authorisation_revoke, credit_authorisation_sign, fact_record

from .fixtures import observed

pytestmark = pytest.mark.django_db


def test_the_platform_records_a_register_fact_and_the_profile_follows_it(enterprise, platform):
    fact = fact_record(
        actor=platform,
        enterprise=enterprise,
        name="legal_name",
        value="南通核实科技有限公司",
        reference="GSXT-2026-0001",
        observed_at=observed(),
    )

    enterprise.refresh_from_db()
    assert enterprise.legal_name == "南通核实科技有限公司"
    assert (fact.source, fact.reference, fact.fetched_by) == (Source.ENTERPRISE_REGISTER, "GSXT-2026-0001", platform)
    change = ProfileChange.objects.get(enterprise=enterprise)
    assert (change.field, change.new, change.source, change.actor) == (
        "legal_name",
        "南通核实科技有限公司",
        Source.ENTERPRISE_REGISTER,
        platform,
    )


def test_the_applicants_declaration_is_kept_and_a_disagreement_is_a_conflict(enterprise, officer, authorisation):
    fact_record(
        actor=officer,
        enterprise=enterprise,
        name="overdue_events_24m",
        value=5,
        reference="CR-1",
        observed_at=observed(),
    )

    current = current_facts([enterprise.pk])[enterprise.pk]["overdue_events_24m"]
    assert (current.declared.value, current.declared.source) == (2, Source.DECLARED)
    assert (current.verified.value, current.verified.authorisation) == (5, authorisation)
    assert current.conflict
    assert Enterprise.objects.get(pk=enterprise.pk).overdue_events_24m == 5


def test_a_source_agreeing_with_the_declaration_is_no_conflict(enterprise, platform):
    fact_record(actor=platform, enterprise=enterprise, name="tax_credit_grade", value="B", reference="T-1",
                observed_at=observed())  # fmt: skip

    assert not current_facts([enterprise.pk])[enterprise.pk]["tax_credit_grade"].conflict


def test_an_older_observation_arriving_late_is_kept_but_does_not_set_the_profile(enterprise, platform):
    fact_record(actor=platform, enterprise=enterprise, name="tax_credit_grade", value="A", reference="2026",
                observed_at=observed(1))  # fmt: skip
    fact_record(actor=platform, enterprise=enterprise, name="tax_credit_grade", value="C", reference="2024",
                observed_at=observed(700))  # fmt: skip

    enterprise.refresh_from_db()
    assert enterprise.tax_credit_grade == "A"
    assert current_facts([enterprise.pk])[enterprise.pk]["tax_credit_grade"].verified.value == "A"
    assert Fact.objects.filter(enterprise=enterprise, name="tax_credit_grade").count() == 3  # declared + two


def test_a_bank_without_the_firms_authorisation_records_no_credit_report(enterprise, officer):
    with pytest.raises(PermissionDenied) as refused:
        fact_record(actor=officer, enterprise=enterprise, name="overdue_events_24m", value=0, reference="CR",
                    observed_at=observed())  # fmt: skip

    assert "authorisation" in refused.value.detail
    assert not Fact.objects.exists()


def test_the_platform_records_no_credit_report(enterprise, platform):
    with pytest.raises(PermissionDenied):
        fact_record(actor=platform, enterprise=enterprise, name="existing_debt", value="0", reference="CR",
                    observed_at=observed())  # fmt: skip
    assert not Fact.objects.exists()


def test_a_revoked_or_expired_authorisation_does_not_count(enterprise, owner, officer, authorisation):
    credit_authorisation_revoke(actor=owner, authorisation=authorisation)
    with pytest.raises(PermissionDenied):
        fact_record(actor=officer, enterprise=enterprise, name="overdue_events_24m", value=0, reference="CR",
                    observed_at=observed())  # fmt: skip

    with pytest.raises(ValidationFailed) as refused:
        credit_authorisation_sign(actor=owner, enterprise=enterprise, bank=officer.organisation,
                                  scope=AuthorisationScope.LOAN_REVIEW,
                                  expires_on=timezone.localdate() - dt.timedelta(days=1))  # fmt: skip
    assert refused.value.errors == {"expires_on": ["The expiry day has passed."]}


def test_another_banks_authorisation_does_not_count(enterprise, authorisation):
    with pytest.raises(PermissionDenied):
        fact_record(actor=BankOfficerFactory(), enterprise=enterprise, name="overdue_events_24m", value=0,
                    reference="CR", observed_at=observed())  # fmt: skip


def test_only_the_firms_owner_signs_an_authorisation(enterprise, officer):
    staff = UserFactory(organisation=enterprise.organisation, role=Role.SME_STAFF)
    with pytest.raises(PermissionDenied):
        credit_authorisation_sign(actor=staff, enterprise=enterprise, bank=officer.organisation,
                                  scope=AuthorisationScope.LOAN_REVIEW,
                                  expires_on=timezone.localdate() + dt.timedelta(days=30))  # fmt: skip


@pytest.mark.parametrize("name", ["overdue_events_24m", "tax_credit_grade", "legal_name", "is_high_tech"])
def test_the_applicant_records_no_fact_about_itself(enterprise, owner, name):
    with pytest.raises(PermissionDenied):
        fact_record(actor=owner, enterprise=enterprise, name=name, value="A", reference="me", observed_at=observed())
    with pytest.raises(PermissionDenied):
        fact_record(actor=owner, enterprise=enterprise, name=name, value="A", reference="me", observed_at=observed(),
                    source=Source.DECLARED)  # fmt: skip
    assert not Fact.objects.exists()


def test_a_fact_from_the_wrong_source_or_with_a_bad_value_is_refused(enterprise, platform):
    with pytest.raises(ValidationFailed) as refused:
        fact_record(actor=platform, enterprise=enterprise, name="tax_credit_grade", value="Z", reference="T",
                    observed_at=observed(), source=Source.COURT)  # fmt: skip

    assert set(refused.value.errors) == {"source", "value"}
    assert not Fact.objects.exists()


def test_a_fact_about_an_asset_names_one_of_the_firms_assets(enterprise, platform):
    with pytest.raises(ValidationFailed):
        fact_record(actor=platform, enterprise=enterprise, name="legal_status", value="lapsed", reference="CNIPA",
                    observed_at=observed(), asset=IPAssetFactory())  # fmt: skip
    asset = IPAssetFactory(owner=enterprise)

    fact = fact_record(actor=platform, enterprise=enterprise, name="legal_status", value="lapsed",
                       reference="CNIPA-1", observed_at=observed(), asset=asset)  # fmt: skip

    assert (fact.asset, fact.source) == (asset, Source.IP_REGISTER)


def test_a_fact_is_never_changed_only_followed_by_a_newer_one(enterprise, platform):
    first = fact_record(actor=platform, enterprise=enterprise, name="has_court_enforcement", value=True,
                        reference="ZXGK-1", observed_at=observed(10))  # fmt: skip
    fact_record(actor=platform, enterprise=enterprise, name="has_court_enforcement", value=False,
                reference="ZXGK-2", observed_at=observed(1))  # fmt: skip

    first.refresh_from_db()
    assert first.value is True
    current = current_facts([enterprise.pk], with_history=True)[enterprise.pk]["has_court_enforcement"]
    # In the order observed: the two observations, and the declaration as the profile held it.
    assert [(f.source, f.value) for f in current.history] == [
        (Source.COURT, True),
        (Source.COURT, False),
        (Source.DECLARED, False),
    ]
    assert Enterprise.objects.get(pk=enterprise.pk).has_court_enforcement is False
