"""The sources over HTTP, end to end against the register simulator: what a refresh records and with which
provenance, and what the bank reads when a source times out, errors or answers with malformed data."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from tests.factories import IPAssetFactory
from tongzhirong.facts.catalogue import Source
from tongzhirong.facts.freshness import State, source_states
from tongzhirong.facts.models import Fact, FetchOutcome, SourceFetch
from tongzhirong.facts.sources.refresh import FEED_USERNAME, facts_refresh, facts_refresh_stale

from .simulator import enterprise_record, register_record

pytestmark = pytest.mark.django_db


def state_of(enterprise, source):
    return next(s for s in source_states(enterprise=enterprise) if s.source == source)


def test_a_refresh_records_what_the_provider_says_with_its_provenance(simulator, enterprise):
    simulator.load([enterprise_record(enterprise, legal_name="南通登记科技有限公司", abnormal_operation_listed=False)])

    result = facts_refresh(enterprise_ids=[enterprise.pk], sources=["enterprise_register"])

    fact = Fact.objects.get(enterprise=enterprise, name="legal_name", source=Source.ENTERPRISE_REGISTER)
    assert (fact.value, fact.reference, fact.fetched_by.username) == (
        "南通登记科技有限公司",
        f"GSXT-{enterprise.uscc}",
        FEED_USERNAME,
    )
    enterprise.refresh_from_db()
    assert enterprise.legal_name == "南通登记科技有限公司"
    assert (result.asked, result.observed, result.recorded) == (1, 2, 2)
    assert state_of(enterprise, Source.ENTERPRISE_REGISTER).state == State.FRESH


def test_an_unchanged_answer_records_no_new_fact_but_keeps_the_source_fresh(simulator, enterprise):
    simulator.load([enterprise_record(enterprise, business_status="存续")])
    facts_refresh(enterprise_ids=[enterprise.pk], sources=["enterprise_register"])
    first = SourceFetch.objects.get(enterprise=enterprise).succeeded_at

    result = facts_refresh(enterprise_ids=[enterprise.pk], sources=["enterprise_register"])

    assert result.recorded == 0
    assert Fact.objects.filter(enterprise=enterprise, name="business_status").count() == 1
    assert SourceFetch.objects.get(enterprise=enterprise).succeeded_at > first


def test_the_register_keeps_a_pledged_asset_current(simulator, enterprise, submitted):
    asset = submitted.assets.get()
    paid = timezone.localdate() + dt.timedelta(days=400)
    simulator.load(
        [
            register_record(
                asset,
                annual_fee_paid_through=paid.isoformat(),
                invalidation_pending=True,
                co_owners=[{"name": "南通大学", "uscc": "", "share_percent": "20"}],
            )
        ]
    )

    facts_refresh(enterprise_ids=[enterprise.pk], sources=["ip_register"])

    asset.refresh_from_db()
    assert (asset.annual_fee_paid_through, asset.invalidation_pending) == (paid, True)
    assert [(c.name, str(c.share_percent), c.consent_given) for c in asset.co_owners.all()] == [
        ("南通大学", "20.00", False)
    ]
    assert Fact.objects.filter(asset=asset, source=Source.IP_REGISTER).count() == 3


def test_a_source_that_times_out_leaves_the_facts_and_says_unavailable(simulator, enterprise):
    simulator.load([enterprise_record(enterprise, business_status="存续")])
    facts_refresh(enterprise_ids=[enterprise.pk], sources=["enterprise_register"])
    simulator.fault, simulator.delay = "timeout", 1.0

    result = facts_refresh(enterprise_ids=[enterprise.pk], sources=["enterprise_register"])

    assert result.failed == {"enterprise_register": [enterprise.pk]}
    fetch = SourceFetch.objects.get(enterprise=enterprise)
    assert (fetch.outcome, "timed out" in fetch.error) == (FetchOutcome.UNAVAILABLE, True)
    assert fetch.succeeded_at is not None  # the last good fetch is kept
    state = state_of(enterprise, Source.ENTERPRISE_REGISTER)
    assert state.state == State.UNAVAILABLE
    assert state.message.startswith("Source unavailable since ")
    assert "facts stale since" in state.message
    assert Fact.objects.filter(enterprise=enterprise, name="business_status").count() == 1


def test_a_source_that_errors_is_retried_then_unavailable(simulator, enterprise):
    simulator.fault = "error"

    facts_refresh(enterprise_ids=[enterprise.pk], sources=["court_enforcement"])

    fetch = SourceFetch.objects.get(enterprise=enterprise, source="court_enforcement")
    assert (fetch.outcome, fetch.error) == (FetchOutcome.UNAVAILABLE, "the provider answered HTTP 503")
    assert simulator.requests == 2  # FACTS_HTTP_ATTEMPTS
    assert state_of(enterprise, Source.COURT).message.startswith("Source unavailable since ")


def test_the_circuit_opens_after_repeated_failures_and_stops_calling(simulator, enterprise):
    simulator.fault = "error"
    for _ in range(3):  # three failed requests of two attempts each
        facts_refresh(enterprise_ids=[enterprise.pk], sources=["court_enforcement"])
    calls = simulator.requests

    facts_refresh(enterprise_ids=[enterprise.pk], sources=["court_enforcement"])

    assert simulator.requests == calls
    assert "circuit open" in SourceFetch.objects.get(enterprise=enterprise, source="court_enforcement").error


@pytest.mark.parametrize("fault", ["malformed", "wrong_shape"])
def test_a_malformed_answer_records_nothing_and_says_so(simulator, enterprise, fault):
    simulator.load([enterprise_record(enterprise, business_status="存续")])
    simulator.fault = fault

    facts_refresh(enterprise_ids=[enterprise.pk], sources=["enterprise_register"])

    assert not Fact.objects.filter(enterprise=enterprise, name="business_status").exists()
    state = state_of(enterprise, Source.ENTERPRISE_REGISTER)
    assert state.state == State.MALFORMED
    assert state.message.startswith("Source answered with malformed data since ")
    assert simulator.requests == 1  # garbage is not retried


def test_a_value_the_catalogue_cannot_hold_leaves_all_of_that_firms_facts_as_they_were(simulator, enterprise):
    asset = IPAssetFactory(owner=enterprise)
    simulator.load([register_record(asset, annual_fee_paid_through="2030-01-01", legal_status="sort of valid")])

    facts_refresh(enterprise_ids=[enterprise.pk], sources=["ip_register"])

    assert not Fact.objects.filter(asset=asset).exists()
    fetch = SourceFetch.objects.get(enterprise=enterprise, source="ip_register")
    assert fetch.outcome == FetchOutcome.MALFORMED
    assert "legal_status" in fetch.error


def test_wrong_credentials_make_the_source_unavailable(simulator, enterprise, settings):
    settings.FACTS_HTTP_TOKEN = "not-the-token"

    facts_refresh(enterprise_ids=[enterprise.pk], sources=["enterprise_register"])

    assert "credentials" in SourceFetch.objects.get(enterprise=enterprise).error


def test_a_decision_refetches_only_what_is_past_its_freshness_window(simulator, enterprise, settings):
    settings.FACT_FRESHNESS_DAYS = {**settings.FACT_FRESHNESS_DAYS, "court_enforcement": 7}
    simulator.load([enterprise_record(enterprise, "court_enforcement", has_court_enforcement=False)])
    facts_refresh(enterprise_ids=[enterprise.pk], sources=["court_enforcement", "enterprise_register"])
    asked = simulator.requests

    facts_refresh_stale(enterprise=enterprise)
    assert simulator.requests == asked  # both fresh

    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        assert state_of(enterprise, Source.COURT).message.startswith("Facts stale since ")
        facts_refresh_stale(enterprise=enterprise)
        assert simulator.requests == asked + 1  # the court list (7 days), not the enterprise register (30)
        assert state_of(enterprise, Source.COURT).state == State.FRESH


def test_a_source_never_asked_says_so(enterprise):
    assert state_of(enterprise, Source.TAX).state == State.NEVER


def test_a_decision_waits_for_one_request_when_the_provider_is_down(simulator, enterprise):
    simulator.fault, simulator.delay = "timeout", 1.0

    facts_refresh_stale(enterprise=enterprise)

    assert simulator.requests == 1  # one attempt, and the provider's other sources are not asked in this run
    fetches = SourceFetch.objects.filter(enterprise=enterprise)
    assert {f.source for f in fetches} == {"enterprise_register", "court_enforcement", "ip_register"}
    assert {f.outcome for f in fetches} == {FetchOutcome.UNAVAILABLE}
    assert all("timed out" in f.error for f in fetches)
