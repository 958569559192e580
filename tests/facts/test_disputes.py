"""The applicant disputes what a source says; it never overwrites it. The bank sees the dispute, the platform
resolves it."""

import pytest

from tests.factories import BankOfficerFactory, EnterpriseFactory, UserFactory
from tongzhirong.core.errors import Conflict, PermissionDenied, ValidationFailed
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.facts.catalogue import Source
from tongzhirong.facts.models import DisputeStatus, Fact
from tongzhirong.facts.selectors import dispute_list
from tongzhirong.facts.services import fact_dispute_open, fact_dispute_resolve, fact_record

from .fixtures import observed

pytestmark = pytest.mark.django_db


@pytest.fixture
def grade(enterprise, platform):
    return fact_record(actor=platform, enterprise=enterprise, name="tax_credit_grade", value="C",
                       reference="税务-2025", observed_at=observed())  # fmt: skip


def test_the_applicant_disputes_and_the_reviewing_bank_sees_it(grade, owner, officer, submitted):
    dispute = fact_dispute_open(actor=owner, fact=grade, reason="2025年度已复评为B级")

    assert list(dispute_list(user=officer)) == [dispute]
    assert list(dispute_list(user=BankOfficerFactory())) == []
    assert dispute.status == DisputeStatus.OPEN
    assert Enterprise.objects.get(pk=grade.enterprise_id).tax_credit_grade == "C"  # the fact stands meanwhile


def test_a_fact_is_disputed_once_at_a_time_and_with_a_reason(grade, owner):
    with pytest.raises(ValidationFailed):
        fact_dispute_open(actor=owner, fact=grade, reason="  ")
    fact_dispute_open(actor=owner, fact=grade, reason="已复评")
    with pytest.raises(Conflict):
        fact_dispute_open(actor=owner, fact=grade, reason="再说一次")


def test_another_firm_cannot_dispute_it(grade):
    stranger = UserFactory(organisation=EnterpriseFactory().organisation)
    with pytest.raises(PermissionDenied):
        fact_dispute_open(actor=stranger, fact=grade, reason="不对")


def test_an_upheld_dispute_records_the_correction_as_a_new_fact(grade, owner, platform):
    dispute = fact_dispute_open(actor=owner, fact=grade, reason="已复评为B级")

    resolved = fact_dispute_resolve(
        actor=platform, dispute=dispute, upheld=True, resolution="税务局确认复评结果", corrected_value="B"
    )

    assert resolved.status == DisputeStatus.UPHELD
    assert (resolved.correction.value, resolved.correction.source) == ("B", Source.TAX)
    assert Enterprise.objects.get(pk=grade.enterprise_id).tax_credit_grade == "B"
    grade.refresh_from_db()
    assert grade.value == "C"  # the disputed fact stays in the history


def test_a_rejected_dispute_leaves_the_fact(grade, owner, platform):
    dispute = fact_dispute_open(actor=owner, fact=grade, reason="不对")

    fact_dispute_resolve(actor=platform, dispute=dispute, upheld=False, resolution="来源核实无误")

    assert Enterprise.objects.get(pk=grade.enterprise_id).tax_credit_grade == "C"
    assert Fact.objects.filter(name="tax_credit_grade").count() == 2  # declared and the source's


@pytest.mark.parametrize("who", ["owner", "officer"])
def test_only_the_platform_resolves(grade, owner, officer, who):
    dispute = fact_dispute_open(actor=owner, fact=grade, reason="不对")
    with pytest.raises(PermissionDenied):
        fact_dispute_resolve(actor={"owner": owner, "officer": officer}[who], dispute=dispute, upheld=True,
                             resolution="自行更正", corrected_value="A")  # fmt: skip
    assert Enterprise.objects.get(pk=grade.enterprise_id).tax_credit_grade == "C"
