"""Stale facts are asked again before a decision: the score taken at submission, the bank's "refresh facts and
rescore", the approval. What is fresh is not asked again; a failing source does not stop the decision."""

from __future__ import annotations

import pytest

from scoring.services import application_rescore
from scoring.tasks import score_application
from tongzhirong.facts.models import Fact, FetchOutcome, SourceFetch

from .simulator import enterprise_record, register_record

pytestmark = pytest.mark.django_db


def test_the_score_at_submission_is_taken_after_stale_facts_are_fetched(simulator, submitted, enterprise):
    simulator.load([enterprise_record(enterprise, "court_enforcement", has_court_enforcement=True)])

    score_application(submitted.pk)

    assert Fact.objects.filter(enterprise=enterprise, name="has_court_enforcement", source="court_enforcement").exists()
    score = submitted.scores.get()
    assert score.inputs["provenance"]["facts"]["has_court_enforcement"]["source"] == "court_enforcement"


def test_a_rescore_asks_again_only_what_is_stale(simulator, submitted, enterprise, officer):
    asset = submitted.assets.get()
    simulator.load([register_record(asset, legal_status="valid")])
    score_application(submitted.pk)
    asked = simulator.requests

    application_rescore(actor=officer, application=submitted)

    assert simulator.requests == asked


def test_a_source_down_does_not_stop_the_rescore_and_says_so(simulator, submitted, enterprise, officer):
    simulator.fault = "error"

    application_rescore(actor=officer, application=submitted)

    assert submitted.scores.exists()
    fetch = SourceFetch.objects.get(enterprise=enterprise, source="court_enforcement")
    assert fetch.outcome == FetchOutcome.UNAVAILABLE
