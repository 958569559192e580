import json

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from scoring.ml.schema import RISK_FEATURE_NAMES
from scoring.ml.synthetic import WorldParams, generate_world
from scoring.models import ModelVersion


@pytest.fixture(scope="module")
def bank_csv(tmp_path_factory):
    """A bank's own export: its own column names, text outcome, missing values and a category."""
    loans = generate_world(WorldParams(n_loans=6_000, seed=3))["loans"]
    frame = loans[list(RISK_FEATURE_NAMES)].rename(columns={"debt_ratio": "负债率"})
    frame.loc[frame.sample(frac=0.05, random_state=1).index, "annual_revenue"] = np.nan
    frame["status"] = np.where(loans["defaulted"] == 1, "bad", "good")
    path = tmp_path_factory.mktemp("bank") / "loans.csv"
    frame.to_csv(path, index=False)
    return path


def _run(*args):
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_evaluate_prints_champion_and_challenger_metrics(bank_csv):
    result = json.loads(
        _run("evaluate_risk_model", "--csv", str(bank_csv), "--target", "status", "--bad", "bad", "--folds", "3")
    )
    assert result["rows"] == 6000
    assert 0.02 < result["bad_rate"] < 0.08
    for side in ("champion", "challenger", "reference"):
        assert {"auc", "gini", "ks", "brier", "ece", "auc_std"} <= set(result[side])
        assert result[side]["auc"] > 0.65
    assert result["winner"] in ("champion", "challenger", "reference")
    assert result["lift_over_reference"]["champion"]["auc"] == pytest.approx(
        result["champion"]["auc"] - result["reference"]["auc"], abs=1e-4
    )
    for side in ("champion", "challenger"):
        lift = result["lift_over_reference"][side]
        # DeLong's paired SE over the same out-of-fold rows: at 6,000 loans and ~250 defaults about 0.01.
        assert 0.001 < lift["se"] < 0.05
        assert lift["z"] * lift["se"] == pytest.approx(lift["auc"], abs=3e-4)


def test_evaluate_refuses_an_unknown_target(bank_csv):
    with pytest.raises(CommandError, match="not in the data"):
        _run("evaluate_risk_model", "--csv", str(bank_csv), "--target", "nope", "--bad", "bad")


def test_evaluate_refuses_a_file_without_bad_rows(bank_csv):
    with pytest.raises(CommandError, match="no bad outcomes"):
        _run("evaluate_risk_model", "--csv", str(bank_csv), "--target", "status", "--bad", "defaulted")


def test_evaluate_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        _run("evaluate_risk_model", "--csv", str(tmp_path / "x.csv"), "--target", "t", "--bad", "1")


def test_evaluate_refuses_an_unreadable_file(tmp_path):
    path = tmp_path / "broken.csv"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CommandError):
        _run("evaluate_risk_model", "--csv", str(path), "--target", "t", "--bad", "1")


def train_args(csv_path) -> tuple[str, ...]:
    return ("train_risk_model", "--csv", str(csv_path), "--target", "status", "--bad", "bad", "--name", "bank_risk",
            "--model-version", "b1")  # fmt: skip


@pytest.mark.django_db
def test_train_writes_a_registered_versioned_artefact(bank_csv, tmp_path, settings):
    settings.ML_MODELS_DIR = tmp_path
    _run(*train_args(bank_csv))
    assert {p.name for p in (tmp_path / "bank_risk" / "b1").iterdir()} == {"model.skops", "metadata.json", "card.md"}
    assert ModelVersion.objects.get(name="bank_risk", version="b1").role == "champion"


@pytest.mark.django_db
def test_train_refuses_to_overwrite_a_version(bank_csv, tmp_path, settings):
    settings.ML_MODELS_DIR = tmp_path
    _run(*train_args(bank_csv))
    with pytest.raises(CommandError, match="immutable"):
        _run(*train_args(bank_csv))
