"""GET /api/v1/evidence/…: the platform's administrators and the city office see whether the chain holds and
which entry broke first, and the signed checkpoints as files; everyone else is refused in the one problem shape."""

import pytest

from tests.api.helpers import client_for
from tests.factories import OrganisationFactory, PlatformAdminFactory, UserFactory
from tongzhirong.accounts.models import OrganisationKind, Role
from tongzhirong.evidence.checkpoints import checkpoint_create, checkpoint_export, checkpoint_file_problems
from tongzhirong.evidence.models import Entry
from tongzhirong.financing.models import Repayment

from .helpers import repaid_loan_journey, tamper

pytestmark = pytest.mark.django_db

AUDIT = "/api/v1/evidence/audit/"


@pytest.fixture
def loan(under_review, officer, sme):
    return repaid_loan_journey(under_review, officer, sme)


@pytest.fixture
def city_analyst():
    return UserFactory(organisation=OrganisationFactory(kind=OrganisationKind.CITY_OFFICE), role=Role.ANALYST)


def test_the_platform_admin_sees_an_intact_chain(loan):
    body = client_for(PlatformAdminFactory()).get(AUDIT).json()
    last = Entry.objects.last()
    assert body == {
        "intact": True,
        "entries": last.seq,
        "head_seq": last.seq,
        "head_hash": last.hash,
        "checkpoints": 0,
        "first_break": None,
        "unchained": 0,
    }


def test_the_city_office_is_told_the_first_broken_entry(loan, city_analyst):
    repayment = Repayment.objects.get()
    entry = Entry.objects.get(kind="repayment")
    tamper("UPDATE financing_repayment SET reference = 'cash' WHERE id = %s", [repayment.pk])
    body = client_for(city_analyst).get(AUDIT).json()
    assert body["intact"] is False
    assert body["first_break"] == {
        "seq": entry.seq,
        "kind": "repayment",
        "subject": f"financing.loan#{loan.pk}",
        "problem": "record_changed",
        "expected": f"reference={repayment.reference!r}",
        "found": "reference='cash'",
        "detail": f"The chained record financing.repayment#{repayment.pk} was changed:",
    }


@pytest.mark.parametrize(
    ("kind", "role"),
    [
        (OrganisationKind.BANK, Role.BANK_MANAGER),
        (OrganisationKind.SME, Role.SME_OWNER),
        (OrganisationKind.PLATFORM, Role.ANALYST),
    ],
)
def test_others_are_refused_as_problem_json(db, kind, role):
    user = UserFactory(organisation=OrganisationFactory(kind=kind), role=role)
    for path in (AUDIT, "/api/v1/evidence/checkpoints/"):
        response = client_for(user).get(path)
        assert response.status_code == 403
        assert response["Content-Type"].startswith("application/problem+json")
        assert response.json()["code"] == "permission_denied"


def test_each_checkpoint_is_listed_as_the_file_that_verifies(loan, signing_key):
    first, second = checkpoint_create(actor=None), checkpoint_create(actor=None)
    listed = client_for(PlatformAdminFactory()).get("/api/v1/evidence/checkpoints/").json()["results"]
    assert [c["id"] for c in listed] == [second.pk, first.pk]
    document = {k: v for k, v in listed[0].items() if k != "id"}
    assert document == checkpoint_export(second)
    assert checkpoint_file_problems(document, trusted_fingerprint=second.key_fingerprint) == []
