"""The scorecard fitted since the blend (scoring.ml.risk, ``attribute_logits_``): a points-per-attribute card
whose points add up to the score it gives, explained alike on the fast and the frame path, and saved and loaded
as a trusted artefact."""

import numpy as np
import pytest

from scoring.ml.artefacts import load_artefact, save_artefact
from scoring.ml.risk import RiskModel
from tests.scoring.test_base_rates import messy_variant


@pytest.fixture(scope="module")
def fitted():
    X, y = messy_variant(0.10, n=3_000, seed=5)
    return RiskModel("scorecard").fit(X, y), X


def test_the_card_blends_both_regressions_with_positive_weights(fitted):
    model, _ = fitted
    assert model.blend_inputs_ == ["woe", "attributes"]
    assert (model.blend_.coef_[0] > 0).all()


def test_the_points_of_a_rows_attributes_add_up_to_its_score(fitted):
    """What a credit committee checks first: read each attribute's points off the table, add them, get the
    score (each attribute's points are rounded to 0.1)."""
    model, X = fitted
    table = {(row["feature"], row["attribute"]): row["points"] for row in model.scorecard_table()}
    rows = X[X[model.selected_].notna().all(axis=1)].head(50)
    labels = {column: model.binner_.bin_labels(rows, column) for column in model.selected_}
    added = np.array([sum(table[(c, labels[c][i])] for c in model.selected_) for i in range(len(rows))])
    assert added == pytest.approx(model.points(model.predict_pd(rows)), abs=0.06 * len(model.selected_) + 0.1)


def test_the_safest_attribute_costs_nothing_and_a_riskier_one_costs_its_pd(fitted):
    model, X = fitted
    column = "debt_ratio"
    shares = model.attribute_logits_[column]["bins"]
    in_safest_bin = model.binner_.bin_index(X[column], column) == int(np.argmin(shares))
    safest, riskiest = X.loc[in_safest_bin, column].iloc[0], X[column].max()
    assert shares[-1] > shares.min()  # a higher debt ratio is riskier on this card
    row = X.iloc[[0]].assign(debt_ratio=riskiest)
    impacts = {r["feature"]: r["pd_impact"] for r in model.explain(row, top=len(model.columns_))[0]["reasons"]}
    assert impacts.get(column, 0) > 0
    better = model.predict_pd(row.assign(debt_ratio=safest))
    assert model.predict_pd(row)[0] - better[0] == pytest.approx(impacts[column], abs=1e-5)


def test_a_few_feature_dicts_explain_as_the_frame_does(fitted):
    model, X = fitted
    rows = X.head(12)
    frame_results = model.explain(rows)
    dicts = [
        {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
        for r in rows.to_dict("records")
    ]
    for one, expected in zip(model.explain(dicts), frame_results, strict=True):
        assert one["pd"] == pytest.approx(expected["pd"], abs=1e-12)
        assert (one["band"], one["points"]) == (expected["band"], expected["points"])
        assert [r["feature"] for r in one["reasons"]] == [r["feature"] for r in expected["reasons"]]


def test_an_unseen_category_reads_neutral_and_a_blank_reads_its_own_bin(fitted):
    model, X = fitted
    row = X.iloc[[0]]
    assert np.isfinite(model.predict_pd(row.assign(cluster="never-seen"))).all()
    blank = model._evidence(model._clean(row.assign(debt_ratio=np.nan)))
    assert blank[0, model.columns_.index("debt_ratio")] == model.attribute_logits_["debt_ratio"]["missing"]


def test_the_card_saves_and_loads_as_a_trusted_artefact(fitted, tmp_path):
    model, X = fitted
    save_artefact(model, tmp_path / "card", metadata={"name": "t"}, card="")
    loaded = load_artefact(tmp_path / "card")
    assert np.array_equal(loaded.predict_pd(X.head(200)), model.predict_pd(X.head(200)))
    assert loaded.scorecard_table() == model.scorecard_table()
