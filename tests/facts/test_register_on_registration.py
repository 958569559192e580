"""A right registered on the platform is looked up at the register right after: the fetch is a task carried by
the outbox (written with the registration, run after its commit)."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory, make_patent_number
from tongzhirong.accounts.models import Role
from tongzhirong.facts.models import Fact
from tongzhirong.lending.assets import ip_asset_register
from tongzhirong.outbox.models import OutboxMessage

from .simulator import register_record

pytestmark = pytest.mark.django_db


def test_registering_a_right_fetches_what_the_register_says_of_it(
    simulator, enterprise, django_capture_on_commit_callbacks
):
    owner = UserFactory(organisation=enterprise.organisation, role=Role.SME_OWNER)
    identifier = make_patent_number(4242, year=2021)
    expected = type("Asset", (), {"owner": enterprise, "ip_type": "invention_patent", "identifier": identifier})
    simulator.load([register_record(expected, legal_status="valid", annual_fee_paid_through="2027-09-01")])

    with django_capture_on_commit_callbacks(execute=True):
        asset = ip_asset_register(
            actor=owner,
            owner=enterprise,
            ip_type="invention_patent",
            identifier=identifier,
            title="一种登记后核实的装置",
            filing_date="2021-03-01",
            grant_date="2023-05-01",
            legal_status="valid",
        )

    assert OutboxMessage.objects.filter(task_name="tongzhirong.facts.tasks.refresh_facts").exists()
    fact = Fact.objects.get(asset=asset, name="annual_fee_paid_through")
    assert (fact.source, fact.value) == ("ip_register", "2027-09-01")
    asset.refresh_from_db()
    assert asset.annual_fee_paid_through.isoformat() == "2027-09-01"
