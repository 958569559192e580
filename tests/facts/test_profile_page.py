"""The SME's profile page: a posted verified field is not even read; the page shows what the sources say and takes a
dispute and an authorisation."""

import datetime as dt

import pytest
from django.utils import timezone

from tongzhirong.enterprises.models import Enterprise
from tongzhirong.facts.models import CreditAuthorisation, DisputeStatus, FactDispute
from tongzhirong.facts.services import fact_record

from .fixtures import observed

pytestmark = pytest.mark.django_db

URL = "/sme/profile/"


@pytest.fixture
def browser(client, owner):
    client.force_login(owner)
    return client


def profile_post(enterprise, **extra):
    fields = {"action": "profile", "district": enterprise.district, "cluster": enterprise.cluster,
              "chain": enterprise.chain, "employees": 99, "annual_revenue": "31000000.00"}  # fmt: skip
    return {**fields, **extra}


def test_the_page_form_changes_the_editable_fields_and_ignores_verified_ones(browser, enterprise):
    before = Enterprise.objects.values().get(pk=enterprise.pk)
    forged = {
        "overdue_events_24m": 0, "max_days_past_due_24m": 0, "tax_credit_grade": "A", "has_court_enforcement": "",
        "is_specialised": "on", "is_little_giant": "on", "legal_name": "假名称", "existing_debt": "0",
    }  # fmt: skip

    response = browser.post(URL, profile_post(enterprise, **forged))

    assert response.status_code == 302
    after = Enterprise.objects.values().get(pk=enterprise.pk)
    assert (after["employees"], str(after["annual_revenue"])) == (99, "31000000.00")
    assert {k: after[k] for k in forged} == {k: before[k] for k in forged}


def test_the_page_shows_what_the_sources_say_and_takes_a_dispute(browser, enterprise, platform):
    fact = fact_record(actor=platform, enterprise=enterprise, name="tax_credit_grade", value="C",
                       reference="NSXY-2025-007", observed_at=observed())  # fmt: skip

    page = browser.get(URL).content.decode()
    assert "NSXY-2025-007" in page
    assert "differs from the source" in page  # declared B, the tax bureau says C

    response = browser.post(URL, {"action": "dispute", "fact": fact.pk, "dispute-reason": "已复评为B级"})

    assert response.status_code == 302
    dispute = FactDispute.objects.get()
    assert (dispute.fact, dispute.status, dispute.reason) == (fact, DisputeStatus.OPEN, "已复评为B级")
    assert Enterprise.objects.get(pk=enterprise.pk).tax_credit_grade == "C"


def test_the_owner_signs_an_authorisation_on_the_page(browser, enterprise, officer):
    expires = timezone.localdate() + dt.timedelta(days=30)
    response = browser.post(
        URL,
        {"action": "authorise", "authorise-bank": officer.organisation.pk, "authorise-scope": "loan_review",
         "authorise-expires_on": expires.isoformat()},
    )  # fmt: skip

    assert response.status_code == 302
    authorisation = CreditAuthorisation.objects.get()
    assert (authorisation.enterprise, authorisation.bank, authorisation.expires_on) == (
        enterprise,
        officer.organisation,
        expires,
    )
