"""What the batch writes besides the scores: each application's score change names the score written for it and the
figures as stored, whether the new scores' ids were reserved beforehand (PostgreSQL) or read back (SQLite, or a
concurrent run that stored some of them first); and the reasons' impacts are rounded as Python rounds."""

import numpy as np
import pytest

from scoring import services
from scoring.ml.risk import round_places
from scoring.models import ApplicationScore, ScoreChange
from scoring.services import applications_rescore
from tests.factories import ApplicationFactory, IPAssetFactory
from tongzhirong.financing.models import ApplicationAsset


def _application(assets=1):
    application = ApplicationFactory()
    for k in range(assets):
        asset = IPAssetFactory(owner=application.enterprise, forward_citations=3 + k, family_size=2)
        ApplicationAsset.objects.create(application=application, asset=asset)
    return application


def _changes_match_the_stored_scores(ids):
    for change in ScoreChange.objects.filter(application_id__in=ids).select_related("score"):
        score = change.score
        assert score.application_id == change.application_id
        assert change.changes["pd"] == [None, str(score.pd)]  # the PD's text as stored (six places)
        assert change.changes["band"] == [None, score.band]


@pytest.mark.django_db
def test_each_score_change_names_the_score_written_for_its_application():
    ids = [_application(assets=1 + k % 3).pk for k in range(5)]
    assert applications_rescore(application_ids=ids) == 5
    assert ScoreChange.objects.count() == 5
    _changes_match_the_stored_scores(ids)


@pytest.mark.django_db
def test_scores_a_concurrent_run_stored_first_are_kept_and_named_by_the_changes(monkeypatch):
    """Between the batch's lookup and its insert a concurrent run stores some of the same scores: those rows are
    kept (not counted) and this batch's changes name them, read back."""
    ids = [_application().pk for _ in range(3)]
    applications_rescore(application_ids=ids[:1])
    ScoreChange.objects.all().delete()
    first = ApplicationScore.objects.get()
    monkeypatch.setattr(services, "_stored_scores", lambda application_ids: {})  # the lookup missed it
    assert applications_rescore(application_ids=ids) == 2
    assert ApplicationScore.objects.count() == 3
    assert ScoreChange.objects.get(application_id=ids[0]).score_id == first.pk
    _changes_match_the_stored_scores(ids)


def test_impacts_are_rounded_as_python_rounds_them():
    """``round_places`` (one pass over the batch's matrix) gives Python's ``round`` exactly, also at the halves
    where NumPy's ``round`` does not."""
    rng = np.random.default_rng(7)
    halves = (np.arange(20_000) + 0.5) / 1e5
    values = np.concatenate(
        [rng.random(50_000) * 0.3, rng.normal(size=5_000), halves, np.nextafter(halves, 1), [-0.0, -1e-9, 1e12 + 0.5]]
    )
    expected = [round(v, 5) for v in values.tolist()]
    assert round_places(values, 5).tolist() == expected
    assert np.round(values, 5).tolist() != expected
    assert np.isnan(round_places(np.array([np.nan]), 5)).all()
