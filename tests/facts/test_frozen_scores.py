"""The score the bank reviews is taken at submission and moves only when the bank rescores (or the nightly batch
runs); each rescore is on the timeline with what changed, and the inputs say where each came from."""

import pytest
from rest_framework.test import APIClient

from scoring.models import ApplicationScore, ScoreChange, ScoreTrigger
from scoring.services import application_rescore, application_score, applications_rescore
from tongzhirong.facts.catalogue import Source
from tongzhirong.facts.services import fact_dispute_open, fact_record

from .fixtures import observed

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def entries(response):
    body = response.json()
    return body["results"] if isinstance(body, dict) else body


def test_profile_edits_do_not_move_a_score_under_review(submitted, owner, officer):
    reviewed = application_score(application=submitted, trigger=ScoreTrigger.SUBMISSION)
    sme = client_for(owner)

    assert sme.patch("/api/v1/enterprise/", {"annual_revenue": "900000000.00", "employees": 900}).status_code == 200
    refused = sme.patch("/api/v1/enterprise/", {"overdue_events_24m": 0, "tax_credit_grade": "A"}, format="json")
    assert refused.status_code == 400

    score = client_for(officer).get(f"/api/v1/applications/{submitted.pk}/score/").json()
    assert (score["band"], score["pd"], score["inputs"]) == (reviewed.band, str(reviewed.pd), reviewed.inputs)
    assert ApplicationScore.objects.filter(application=submitted).count() == 1
    assert not ScoreChange.objects.exclude(trigger=ScoreTrigger.SUBMISSION).exists()


def test_the_inputs_say_verified_or_declared_with_the_source(submitted, officer, authorisation, platform):
    fact = fact_record(actor=officer, enterprise=submitted.enterprise, name="overdue_events_24m", value=2,
                       reference="CR-7", observed_at=observed())  # fmt: skip

    inputs = application_score(application=submitted).inputs

    assert inputs["provenance"]["inputs"]["overdue_events_24m"] == "verified"
    assert inputs["provenance"]["inputs"]["max_days_past_due_24m"] == "declared"
    assert inputs["provenance"]["inputs"]["annual_revenue"] == "declared"
    assert inputs["provenance"]["inputs"]["term_months"] == "terms"
    assert inputs["provenance"]["facts"]["overdue_events_24m"] == {
        "source": Source.CREDIT_REPORT,
        "reference": "CR-7",
        "observed_at": fact.observed_at.isoformat(),
        "fact": fact.pk,
    }
    assert inputs["conflicts"] == {}  # the report agrees with what was declared


def test_a_declaration_the_source_contradicts_is_a_flag_and_a_reason(submitted, officer, authorisation):
    fact_record(actor=officer, enterprise=submitted.enterprise, name="overdue_events_24m", value=6,
                reference="CR-8", observed_at=observed())  # fmt: skip

    score = client_for(officer).post(f"/api/v1/applications/{submitted.pk}/rescore/").json()

    assert score["inputs"]["conflicts"] == {
        "overdue_events_24m": {"declared": 2, "verified": 6, "source": Source.CREDIT_REPORT}
    }
    assert score["reasons"][0]["feature"] == "conflict:overdue_events_24m"
    assert score["reasons"][0]["en"] == "The declared overdue events in 24 months disagrees with the verified source"


def test_the_banks_rescore_is_on_the_timeline_with_what_changed(submitted, officer, authorisation):
    before = application_score(application=submitted, trigger=ScoreTrigger.SUBMISSION)
    fact_record(actor=officer, enterprise=submitted.enterprise, name="overdue_events_24m", value=0,
                reference="CR-9", observed_at=observed())  # fmt: skip

    after = client_for(officer).post(f"/api/v1/applications/{submitted.pk}/rescore/").json()
    timeline = entries(client_for(officer).get(f"/api/v1/applications/{submitted.pk}/timeline/"))

    rescores = [e for e in timeline if e["kind"] == "rescore"]
    assert len(rescores) == 1
    changes = rescores[0]["changes"]
    assert changes["inputs"]["overdue_events_24m"] == [2, 0]
    assert changes["provenance"]["overdue_events_24m"] == ["declared", "verified"]
    assert changes.get("band", [before.band, after["band"]]) == [before.band, after["band"]]
    assert changes["pd"] == [str(before.pd), after["pd"]]
    assert rescores[0]["actor_role"] == "bank_officer"
    assert (rescores[0]["from_status"], rescores[0]["to_status"], rescores[0]["days_in_stage"]) == ("", "", None)
    assert "overdue events in 24 months 2 → 0 (verified)" in rescores[0]["reason"]


def test_a_rescore_that_finds_nothing_new_says_so_and_keeps_the_score(submitted, officer):
    reviewed = application_score(application=submitted, trigger=ScoreTrigger.SUBMISSION)

    again = application_rescore(actor=officer, application=submitted)

    assert again == reviewed
    change = ScoreChange.objects.get(trigger=ScoreTrigger.BANK)
    assert (change.score, change.previous, change.changes) == (reviewed, reviewed, {})


def test_the_nightly_batch_records_what_it_changed(submitted, platform):
    before = application_score(application=submitted, trigger=ScoreTrigger.SUBMISSION)
    fact_record(actor=platform, enterprise=submitted.enterprise, name="has_court_enforcement", value=True,
                reference="ZXGK-3", observed_at=observed())  # fmt: skip

    assert applications_rescore(application_ids=[submitted.pk]) == 1
    assert applications_rescore(application_ids=[submitted.pk]) == 0  # nothing new: no row, no entry

    change = ScoreChange.objects.get(trigger=ScoreTrigger.NIGHTLY)
    assert change.previous == before
    assert change.changes["inputs"]["has_court_enforcement"] == [0, 1]
    assert change.score == ApplicationScore.objects.filter(application=submitted).first()


def test_a_disputed_fact_is_marked_in_the_score(submitted, owner, officer, authorisation):
    fact = fact_record(actor=officer, enterprise=submitted.enterprise, name="overdue_events_24m", value=4,
                       reference="CR-10", observed_at=observed())  # fmt: skip
    fact_dispute_open(actor=owner, fact=fact, reason="两笔逾期已由银行出具非恶意逾期证明")

    inputs = application_rescore(actor=officer, application=submitted).inputs

    assert inputs["provenance"]["facts"]["overdue_events_24m"]["disputed"] is True
