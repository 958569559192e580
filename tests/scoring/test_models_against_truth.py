"""The committed default models, measured against the synthetic world's known truth out of time."""

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from scoring import registry
from scoring.ml.metrics import risk_metrics
from scoring.ml.risk import RiskModel
from scoring.ml.schema import RISK_FEATURE_NAMES, VALUE_FAMILIES
from scoring.ml.synthetic import WorldParams, generate_world
from scoring.ml.train import HOLDOUT_VINTAGE

FEATURES = list(RISK_FEATURE_NAMES)


def _load(name, version):
    from scoring.ml.artefacts import load_artefact, read_metadata

    directory = registry.models_dir() / name / version
    return load_artefact(directory), read_metadata(directory)


@pytest.fixture(scope="module")
def risk_models():
    return {kind: _load("pledge_risk", f"v4-{kind}")[0] for kind in ("scorecard", "gbm")}


def test_holdout_is_large_enough(holdout_world):
    assert len(holdout_world["loans"]) >= 20_000


@pytest.mark.parametrize(("kind", "share_of_oracle"), [("gbm", 0.97), ("scorecard", 0.95)])
def test_risk_auc_is_close_to_the_oracle(risk_models, holdout_world, kind, share_of_oracle):
    loans = holdout_world["loans"]
    oracle = roc_auc_score(loans["defaulted"], loans["true_pd"])
    model_auc = roc_auc_score(loans["defaulted"], risk_models[kind].predict_pd(loans[FEATURES]))
    assert model_auc >= share_of_oracle * oracle, (model_auc, oracle)


@pytest.mark.parametrize("kind", ["gbm", "scorecard"])
def test_risk_is_calibrated_out_of_time(risk_models, holdout_world, kind):
    loans = holdout_world["loans"]
    metrics = risk_metrics(loans["defaulted"], risk_models[kind].predict_pd(loans[FEATURES]))
    assert metrics["ece"] <= 0.02


@pytest.mark.parametrize("kind", ["gbm", "scorecard"])
def test_score_distribution_is_stable_from_training_to_holdout(risk_models, holdout_world, kind):
    loans = holdout_world["loans"]
    assert risk_models[kind].psi(loans[FEATURES])["__pd__"] < 0.10


def test_a_straight_line_model_falls_visibly_short(holdout_world):
    """The generator's hinge, convexity, age curve and interaction are what the champion must learn."""
    train = generate_world(WorldParams(n_loans=40_000, seed=5))["loans"]
    numeric = [f for f in FEATURES if f not in ("tax_credit_grade", "cluster")]
    linear = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(train[numeric], train["defaulted"])
    loans = holdout_world["loans"]
    oracle = roc_auc_score(loans["defaulted"], loans["true_pd"])
    assert roc_auc_score(loans["defaulted"], linear.predict_proba(loans[numeric])[:, 1]) < 0.95 * oracle


def test_value_ranks_assets_like_the_truth_and_the_interval_covers_it(holdout_world):
    model, _ = _load("ip_value", "v2")
    assets = holdout_world["assets"]
    predicted = model.predict(assets)
    truth = assets["true_value"]
    assert spearmanr(predicted["p50"], truth).statistic >= 0.85
    coverage = ((truth >= predicted["p10"]) & (truth <= predicted["p90"])).mean()
    assert 0.75 <= coverage <= 0.85
    assert (predicted["p10"] <= predicted["p50"]).all()
    assert (predicted["p50"] <= predicted["p90"]).all()
    assert (predicted["realisable"] < predicted["p50"]).all()


@pytest.mark.parametrize("kind", ["scorecard", "gbm"])
def test_a_model_trained_on_a_shuffled_target_is_a_coin_toss(holdout_world, kind):
    """Leakage guard on the generic pipeline (a bank's own columns, no domain priors): with the outcome
    shuffled nothing real can be learnt. The default models' schema directions are domain knowledge, not
    data, and are switched off here so that they cannot stand in for a signal."""
    train = generate_world(WorldParams(n_loans=30_000, seed=11))["loans"]
    shuffled = np.random.default_rng(0).permutation(train["defaulted"].to_numpy())
    no_priors = dict.fromkeys(FEATURES, 0)
    model = RiskModel(kind, monotonic=no_priors).fit(train[FEATURES], shuffled)
    loans = holdout_world["loans"]
    pd_values = model.predict_pd(loans[FEATURES])
    auc = roc_auc_score(loans["defaulted"], pd_values)
    # Leakage would rank better than chance. The scorecard used to rank below it (0.468: a regression on WOE
    # learnt from the same rows trusted bins fitted to noise, in directions running against real drivers);
    # its weights now come from cross-fitted WOE, no column beats the base rate out of fold, and every firm
    # gets the base rate (AUC 0.5 exactly). The challenger: 0.479.
    assert 0.47 <= auc <= 0.53
    # Nothing learnt, nothing told: 98% of the PDs within a tenth of the (shuffled) base rate.
    low, high = np.quantile(pd_values, [0.01, 0.99])
    assert shuffled.mean() * 0.9 <= low <= high <= shuffled.mean() * 1.1, (low, high)


def test_top_reasons_name_what_really_drives_default(risk_models, holdout_world):
    loans = holdout_world["loans"]
    riskiest = loans.nlargest(300, "true_pd")
    explained = risk_models["scorecard"].explain(riskiest[FEATURES], top=3)
    top = [r["feature"] for e in explained for r in e["reasons"]]
    drivers = {
        "debt_ratio", "pledge_rate", "overdue_events_24m", "max_days_past_due_24m", "has_court_enforcement",
        "firm_age_years", "annual_revenue", "tax_credit_grade", "collateral_min_life_years",
    }  # fmt: skip
    assert sum(f in drivers for f in top) / len(top) >= 0.9
    # Features the truth never reads carry points only through what they share with drivers (invention share
    # with a firm's tech status): never the first reason, and rarely any (v3-scorecard 0 of these 900 reasons,
    # v4-scorecard 2, both third reasons; the blend's attribute regression gives invention share 6.2 points
    # across its bins where v3's WOE regression gave 5.6).
    never_in_the_truth = {"invention_share", "collateral_count"}
    assert not never_in_the_truth & {e["reasons"][0]["feature"] for e in explained}
    assert sum(f in never_in_the_truth for f in top) / len(top) <= 0.01


@pytest.mark.parametrize(
    ("change", "expected_reason"),
    [
        ({"debt_ratio": 3.0}, "debt_ratio"),
        ({"has_court_enforcement": 1}, "has_court_enforcement"),
        ({"pledge_rate": 0.85}, "pledge_rate"),
    ],
)
def test_a_bad_feature_becomes_a_top_reason_with_a_hint(risk_models, holdout_world, change, expected_reason):
    loans = holdout_world["loans"]
    typical = loans[(loans["debt_ratio"] < 0.6) & (loans["has_court_enforcement"] == 0) & (loans["pledge_rate"] < 0.3)]
    row = typical.iloc[[(typical["true_pd"] - typical["true_pd"].median()).abs().argmin()]][FEATURES].assign(**change)
    for kind in ("scorecard", "gbm"):
        explained = risk_models[kind].explain(row)[0]
        assert expected_reason in [r["feature"] for r in explained["reasons"][:3]]
        assert expected_reason in {i["feature"] for i in explained["improvements"]}


def test_default_models_report_their_holdout_vintage():
    _, metadata = _load("pledge_risk", "v4-scorecard")
    assert metadata["data"]["holdout"].startswith(f"vintage {HOLDOUT_VINTAGE}")
    assert metadata["metrics"]["auc_ratio_to_oracle"] >= 0.95


@pytest.mark.parametrize(("family", "at_least"), [("patent", 0.93), ("trademark", 0.80), ("other", 0.80)])
def test_value_ranks_each_family_like_the_truth(holdout_world, family, at_least):
    """Issue 20, item 4: marks and copyrights are ranked on their own signals (use, recognition, disputes,
    classes, renewals, licences, age) nearly as well as patents on theirs."""
    model, _ = _load("ip_value", "v2")
    assets = holdout_world["assets"]
    assets = assets[assets["ip_type"].isin(VALUE_FAMILIES[family])]
    assert spearmanr(model.predict(assets)["p50"], assets["true_value"]).statistic >= at_least


def test_the_value_card_reports_each_family_and_type():
    _, metadata = _load("ip_value", "v2")
    holdout = metadata["metrics"]["holdout"]
    assert holdout["by_family"]["trademark"]["spearman"] >= 0.80
    assert {"trademark", "copyright", "software_copyright"} <= set(holdout["by_type"])
