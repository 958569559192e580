"""Training and evaluation: the default models on the synthetic world, and any bank's own CSV."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.model_selection import StratifiedKFold

from . import synthetic
from .artefacts import data_hash, save_artefact
from .metrics import calibration_by_band, paired_auc_difference, risk_metrics
from .reference import ReferenceModel
from .risk import InvalidTrainingData, RiskModel, prepare_target
from .schema import RISK_FEATURE_NAMES, VALUE_FAMILIES, VALUE_FEATURES
from .value import ValueModel

RISK_MODEL_NAME = "pledge_risk"
VALUE_MODEL_NAME = "ip_value"
HOLDOUT_VINTAGE = 2026


def compare_in_folds(X: pd.DataFrame, y: np.ndarray, kinds: tuple[str, ...], folds: int, seed: int) -> dict:
    """Stratified k-fold evaluation of several kinds of model on the same folds (``reference`` is the
    plain one-hot logistic regression). Each kind's metrics are those of its out-of-fold PDs pooled over
    the folds, so ECE is measured on every row rather than on a fold's few hundred (where bin noise alone
    is several points); ``auc_fold_mean`` and ``auc_std`` across folds give the noise a challenger must
    beat to replace a champion. With the reference among ``kinds``, every other kind also gets
    ``versus_reference``: its AUC minus the reference's over the same out-of-fold rows, the DeLong paired
    SE of that difference and the gap in SEs (``z``), which says whether a gap is more than the luck of
    the rows (the SE leaves out the noise of the models' own training)."""
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    oof = {kind: np.empty(len(y)) for kind in kinds}
    fold_auc = {kind: [] for kind in kinds}
    for train_idx, test_idx in splitter.split(X, y):
        for kind in kinds:
            model = ReferenceModel() if kind == "reference" else RiskModel(kind, random_state=seed)
            model.fit(X.iloc[train_idx], y[train_idx])
            oof[kind][test_idx] = model.predict_pd(X.iloc[test_idx])
            fold_auc[kind].append(risk_metrics(y[test_idx], oof[kind][test_idx])["auc"])
    metrics = {
        kind: {
            **risk_metrics(y, oof[kind]),
            "auc_fold_mean": round(float(np.mean(fold_auc[kind])), 5),
            "auc_std": round(float(np.std(fold_auc[kind], ddof=1)), 5),
        }
        for kind in kinds
    }
    if "reference" in kinds:
        for kind in kinds:
            if kind != "reference":
                delta, se = paired_auc_difference(y, oof[kind], oof["reference"])
                metrics[kind]["versus_reference"] = {
                    "auc_delta": round(delta, 5),
                    "se": round(se, 5),
                    "z": round(delta / se, 2) if se > 0 else None,
                }
    return metrics


def cross_validate(X: pd.DataFrame, y: np.ndarray, kind: str, folds: int, seed: int) -> dict:
    return compare_in_folds(X, y, (kind,), folds, seed)[kind]


def evaluate_csv(frame: pd.DataFrame, *, target: str, bad, folds: int = 5, seed: int = 42) -> dict:
    """The champion scorecard, the challenger and the plain reference on the same folds of a bank's data;
    ``winner`` is the side with the highest out-of-fold AUC, ``lift_over_reference`` each model's AUC
    minus the reference's with the paired SE of that difference and the lift in SEs (``z``; within ±2
    the two are not told apart by these rows)."""
    X, y = prepare_target(frame, target, bad)
    if folds < 2 or folds > min(int(y.sum()), len(y) - int(y.sum())):
        raise ValueError(f"folds must be between 2 and the number of rows in the smaller class ({int(y.sum())}).")
    metrics = compare_in_folds(X, y, ("scorecard", "gbm", "reference"), folds, seed)
    versus = {
        side: metrics[kind].pop("versus_reference") for side, kind in (("champion", "scorecard"), ("challenger", "gbm"))
    }
    sides = {"champion": metrics["scorecard"], "challenger": metrics["gbm"], "reference": metrics["reference"]}
    return {
        "rows": len(y),
        "bad_rate": round(float(y.mean()), 5),
        "folds": folds,
        **sides,
        "lift_over_reference": {
            side: {
                "auc": round(sides[side]["auc"] - sides["reference"]["auc"], 4),
                "se": versus[side]["se"],
                "z": versus[side]["z"],
            }
            for side in ("champion", "challenger")
        },
        "winner": max(sides, key=lambda side: sides[side]["auc"]),
    }


def train_csv(
    frame: pd.DataFrame,
    *,
    target: str,
    bad,
    kind: str,
    name: str,
    version: str,
    root: Path,
    seed: int = 42,
    holdout_share: float = 0.0,
    compare: RiskModel | None = None,
    compare_label: str = "",
):
    """Train on a bank's CSV and write the artefact with a model card generated from that data.

    With ``holdout_share`` the last rows of the file (a bank's export in time order) are held out: the model
    is trained on the earlier rows and measured on them out of time, and so is ``compare`` (the model in charge of
    the bank's queue, named ``compare_label``), with the paired AUC difference, so a bank's model replaces it only
    when it wins there beyond the noise."""
    X, y = prepare_target(frame, target, bad)
    cut = len(y) - round(len(y) * holdout_share) if holdout_share else len(y)
    X_fit, y_fit, X_out, y_out = X.iloc[:cut], y[:cut], X.iloc[cut:], y[cut:]
    model = RiskModel(kind, random_state=seed).fit(X_fit, y_fit)
    cv = cross_validate(X_fit, y_fit, kind, folds=3, seed=seed)
    metrics = {"cv": cv, "train": model.train_metrics_}
    data = {"source": "csv", "rows": len(y_fit), "bad_rate": round(float(y_fit.mean()), 5), "sha256": data_hash(frame)}
    band_rows, band_y = X_fit, y_fit
    if holdout_share:
        if len(set(y_out)) < 2:
            raise InvalidTrainingData("The held-out last rows need both good and bad outcomes.")
        pd_out = model.predict_pd(X_out)
        metrics["holdout"] = risk_metrics(y_out, pd_out)
        if compare is not None:
            compare_out = compare.predict_pd(X_out)
            metrics["platform_holdout"] = risk_metrics(y_out, compare_out)
            metrics["versus_champion"] = {"version": compare_label, **paired_comparison(y_out, compare_out, pd_out)}
        data |= {"holdout_rows": len(y_out), "holdout": f"the last {len(y_out)} rows of the file (out of time)"}
        band_rows, band_y = X_out, y_out
    metadata = {
        "name": name,
        "version": version,
        "kind": kind,
        "task": "pledge_risk",
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "data": data,
        "features": list(X.columns),
        "metrics": metrics,
    }
    band_pd = model.predict_pd(band_rows)
    if "district" in band_rows.columns:
        metadata["fairness"] = _fairness_by(band_rows.assign(defaulted=band_y), band_pd, ("district",))
    card = _risk_card(name, version, kind, metadata, band_table=calibration_by_band(band_y, band_pd), model=model)
    return save_artefact(model, root / name / version, metadata=metadata, card=card)


def synthetic_holdout(generator: dict | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """The out-of-time vintage of the synthetic world as today's generator makes it, from the parameters a version
    recorded (``data.generator``; the default world without): the one set of rows on which two platform versions
    are compared, whatever world each was measured on when it was trained."""
    params = synthetic.WorldParams(**generator) if generator else synthetic.WorldParams()
    loans = synthetic.generate_world(params)["loans"]
    holdout = loans[loans.vintage == HOLDOUT_VINTAGE]
    return holdout[list(RISK_FEATURE_NAMES)], holdout["defaulted"].to_numpy()


def paired_comparison(y: np.ndarray, champion_pd: np.ndarray, challenger_pd: np.ndarray) -> dict:
    """The challenger's AUC minus the champion's on the same rows, with the standard error of that difference
    (DeLong's paired variance, which counts that both are measured on the same rows)."""
    delta, se = paired_auc_difference(y, challenger_pd, champion_pd)
    return {"rows": len(y), "auc_delta": round(float(delta), 5), "se": round(float(se), 5)}


def train_default_models(
    root: Path,
    params: synthetic.WorldParams | None = None,
    version: str = "v1",
    *,
    models: tuple[str, ...] = (RISK_MODEL_NAME, VALUE_MODEL_NAME),
    supersedes: dict[str, str] | None = None,
    history: str | None = None,
) -> dict:
    """Train the champion scorecard, the gradient-boosting challenger and the value model on the
    synthetic world; measure them out of time against the oracle; write the three artefacts.

    ``models`` names which of the two to train (a new risk version need not republish an unchanged value model).
    ``supersedes`` maps a new version label to the published one it follows (``{"v4-scorecard": "v3-scorecard"}``)
    and ``history`` says why it was trained: both go into the metadata and the card's *Version history*."""
    params = params or synthetic.WorldParams()
    world = synthetic.generate_world(params)
    results = {}
    if RISK_MODEL_NAME in models:
        results.update(_train_default_risk(root, world["loans"], params, version, supersedes or {}, history))
    if VALUE_MODEL_NAME in models:
        results["value"] = _train_default_value(root, world["assets"], params, version, supersedes or {}, history)
    return results


def _with_lineage(metadata: dict, card: str, supersedes: str | None, history: str | None) -> tuple[dict, str]:
    """The version this one follows and why it was trained, in the metadata and as the card's last section."""
    if supersedes is None and history is None:
        return metadata, card
    lines = ["", "## Version history"]
    if supersedes is not None:
        metadata = {**metadata, "supersedes": supersedes}
        lines.append(f"- Supersedes {supersedes} (still published, unchanged, for the scores it gave).")
    if history is not None:
        metadata = {**metadata, "history": history}
        lines.append(f"- {history}")
    return metadata, card.rstrip("\n") + "\n" + "\n".join(lines) + "\n"


def _train_default_risk(
    root: Path, loans: pd.DataFrame, params, version: str, supersedes: dict[str, str], history: str | None
) -> dict:
    train, holdout = loans[loans.vintage < HOLDOUT_VINTAGE], loans[loans.vintage == HOLDOUT_VINTAGE]
    features = list(RISK_FEATURE_NAMES)
    X, y = train[features], train["defaulted"].to_numpy()
    Xh, yh = holdout[features], holdout["defaulted"].to_numpy()
    oracle = risk_metrics(yh, holdout["true_pd"].to_numpy())
    results = {}
    for kind in ("scorecard", "gbm"):
        model = RiskModel(kind, random_state=params.seed).fit(X, y)
        pd_holdout = model.predict_pd(Xh)
        metrics = {
            "holdout": risk_metrics(yh, pd_holdout),
            "oracle_holdout": oracle,
            "cv": cross_validate(X, y, kind, folds=3, seed=params.seed),
            "score_psi_train_to_holdout": model.psi(Xh, pd_holdout)["__pd__"],
        }
        metrics["auc_ratio_to_oracle"] = round(metrics["holdout"]["auc"] / oracle["auc"], 4)
        metadata = {
            "name": RISK_MODEL_NAME,
            "version": f"{version}-{kind}",
            "kind": kind,
            "task": "pledge_risk",
            "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "data": {
                "source": "synthetic",
                "generator": params.as_dict(),
                "rows": len(train),
                "holdout_rows": len(holdout),
                "holdout": f"vintage {HOLDOUT_VINTAGE} (out of time)",
                "sha256": data_hash(train[[*features, "defaulted"]]),
            },
            "features": features,
            "metrics": metrics,
            "fairness": _fairness(holdout, pd_holdout),
        }
        card = _risk_card(
            RISK_MODEL_NAME,
            metadata["version"],
            kind,
            metadata,
            band_table=calibration_by_band(yh, pd_holdout),
            model=model,
        )
        metadata, card = _with_lineage(metadata, card, supersedes.get(metadata["version"]), history)
        results[kind] = save_artefact(model, root / RISK_MODEL_NAME / metadata["version"], metadata=metadata, card=card)
    return results


def _train_default_value(
    root: Path, assets: pd.DataFrame, params, version: str, supersedes: dict[str, str], history: str | None
) -> dict:
    a_train, a_holdout = assets[assets.vintage < HOLDOUT_VINTAGE], assets[assets.vintage == HOLDOUT_VINTAGE]
    value_model = ValueModel(random_state=params.seed).fit(a_train, a_train["true_value"].to_numpy())
    predicted = value_model.predict(a_holdout)
    truth = a_holdout["true_value"]
    value_metrics = {
        "spearman_p50_truth": round(float(spearmanr(predicted["p50"], truth).statistic), 4),
        "p10_p90_coverage": round(float(((truth >= predicted["p10"]) & (truth <= predicted["p90"])).mean()), 4),
        "by_family": {
            family: {
                "assets": int(mask.sum()),
                "spearman": round(float(spearmanr(predicted["p50"][mask], truth[mask]).statistic), 4),
                "coverage": round(
                    float(((truth[mask] >= predicted["p10"][mask]) & (truth[mask] <= predicted["p90"][mask])).mean()),
                    4,
                ),
            }
            for family, types in VALUE_FAMILIES.items()
            if (mask := a_holdout["ip_type"].isin(types)).any()
        },
        "by_type": {
            ip_type: {
                "assets": int(mask.sum()),
                "spearman": round(float(spearmanr(predicted["p50"][mask], truth[mask]).statistic), 4),
            }
            for ip_type in sorted(a_holdout["ip_type"].unique())
            if (mask := a_holdout["ip_type"].eq(ip_type)).sum() >= 30
        },
    }
    value_meta = {
        "name": VALUE_MODEL_NAME,
        "version": version,
        "kind": "quantile_gbm",
        "task": "ip_value",
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "data": {
            "source": "synthetic",
            "generator": params.as_dict(),
            "rows": len(a_train),
            "holdout_rows": len(a_holdout),
            "sha256": data_hash(a_train.drop(columns=["cluster", "ipc_section"])),
        },
        "features": {family: list(cols) for family, cols in VALUE_FEATURES.items()},
        "metrics": {"holdout": value_metrics},
    }
    value_meta, card = _with_lineage(value_meta, _value_card(value_meta), supersedes.get(version), history)
    return save_artefact(value_model, root / VALUE_MODEL_NAME / version, metadata=value_meta, card=card)


def _fairness_by(frame: pd.DataFrame, pd_values: np.ndarray, columns: tuple[str, ...]) -> dict:
    """Mean PD against the observed default rate per group of each of ``columns``."""
    frame = frame.assign(pd=pd_values)
    out = {}
    for column in columns:
        groups = frame.groupby(column, observed=True).agg(
            loans=("pd", "size"), mean_pd=("pd", "mean"), observed=("defaulted", "mean")
        )
        out[column] = {
            str(k): {"loans": int(r.loans), "mean_pd": round(r.mean_pd, 4), "observed": round(r.observed, 4)}
            for k, r in groups.iterrows()
        }
    return out


def _fairness(holdout: pd.DataFrame, pd_holdout: np.ndarray) -> dict:
    frame = holdout.assign(
        pd=pd_holdout,
        size=pd.cut(
            holdout["annual_revenue"],
            [0, 20_000_000, 100_000_000, 400_000_000, np.inf],
            labels=["micro <2000万", "small 2000万–1亿", "medium 1–4亿", "large ≥4亿"],
        ),
    )
    out = {}
    for column in ("district", "size"):
        groups = frame.groupby(column, observed=True).agg(
            loans=("pd", "size"), mean_pd=("pd", "mean"), observed=("defaulted", "mean")
        )
        out[column] = {
            str(k): {"loans": int(r.loans), "mean_pd": round(r.mean_pd, 4), "observed": round(r.observed, 4)}
            for k, r in groups.iterrows()
        }
    return out


def _table(rows: list[dict]) -> str:
    if not rows:
        return ""
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join("" if r[h] is None else str(r[h]) for h in head) + " |" for r in rows]
    return "\n".join(lines)


def points_table_markdown(model: RiskModel) -> str:
    """The scorecard's points per attribute, the table a credit committee reads."""
    return "## Points per attribute\n" + _table(model.scorecard_table()) + "\n"


def _risk_card(
    name: str, version: str, kind: str, metadata: dict, band_table: list[dict], model: RiskModel | None = None
) -> str:
    description = {
        "scorecard": "WOE-binned logistic points scorecard (600 points at 50:1 odds, PDO 20). Two regressions on "
        "the same bins: one on cross-fitted WOE (each row's from bins learnt without it; a column whose evidence "
        "does not hold out of fold leaves it), one fitting each bin's points directly (L2 on the steps between "
        "neighbouring bins); a logistic regression on both out-of-fold logits weighs them and calibrates the PD. "
        "The sum of two additive cards is one: the champion, a credit committee can read every point.",
        "gbm": "Monotone-constrained HistGradientBoosting stacked with a plain one-hot logistic regression: "
        "a logistic regression on both models' out-of-fold logits weighs them and calibrates the PD. The challenger.",
    }[kind]
    metrics = metadata["metrics"]
    fairness = metadata.get("fairness", {})
    fairness_rows = [
        {"group": f"{column}={key}", **values} for column, groups in fairness.items() for key, values in groups.items()
    ]
    data = metadata["data"]
    generator = (synthetic.__doc__ or "") if data["source"] == "synthetic" else ""
    return f"""# Model card — {name} {version}

## Intended use
Probability of default within 12 months of an IP pledge loan application on 通知融, with points, a band
A–E and the reasons that hurt most. Decision support for bank credit officers; never the sole basis of a
credit decision. Not for consumer credit.

## Model
{description}
Features: {", ".join(metadata["features"])}.

## Data
Source: {data["source"]}; {data["rows"]} training rows; data sha256 `{data["sha256"][:16]}…`.
{("Out-of-time holdout: " + data["holdout"] + f", {data['holdout_rows']} loans.") if "holdout" in data else ""}

{("### Generating process" + chr(10) + generator) if generator else ""}

## Metrics
```
{_pretty(metrics)}
```

## Calibration by band (holdout where available)
{_table(band_table)}

## Fairness across district and firm size (holdout)
{_table(fairness_rows) if fairness_rows else "Not computed for this data."}

## Inputs outside training
Missing values: their own WOE bin (scorecard) or routed by the trees (challenger); a category never seen
in training carries neutral evidence (WOE 0). Values beyond the training range fall into the outermost
bin. The platform refuses impossible inputs before scoring (negative amounts, expiry before filing).

{points_table_markdown(model) if model is not None and kind == "scorecard" else ""}
## Caveats
- Trained on {"synthetic data with a known default process, not on real loans" if data["source"] == "synthetic" else "the bank's own data as supplied"};
  recalibrate on real outcomes before relying on absolute PDs.
- A low-default portfolio: AUC estimates carry noise of about ±0.01 on a few hundred defaults.
- Watch drift with PSI (0.10 watch, 0.25 act).
"""


def _value_card(metadata: dict) -> str:
    return f"""# Model card — {metadata["name"]} {metadata["version"]}

## Intended use
A value range (P10/P50/P90, yuan) for an IP right and a realisable value after haircuts for type and
liquidity, shown to SMEs at registration and to banks in review. Not a formal appraisal report.

## Model
One set of quantile HistGradientBoosting regressors (q = 0.1, 0.5, 0.9) on log value per IP family
({", ".join(VALUE_FAMILIES)}); quantiles are sorted to prevent crossing. Missing numeric inputs are routed
by the trees (documented imputation); negative counts or an expiry before filing are refused.
Realisable value = P50 × (1 − haircut): type haircut 45–70%, +10 points when under 3 years of protection
remain, −5 points when the right is licensed.

Features per family:
{chr(10).join(f"- {family}: {', '.join(columns)}" for family, columns in metadata["features"].items())}

## Data
Synthetic world, {metadata["data"]["rows"]} assets for training, {metadata["data"]["holdout_rows"]} held out (vintage 2026).

### Generating process
{synthetic.__doc__}

## Metrics (holdout, against the true value)
Spearman of P50 against the true value on the held-out vintage, by family and by IP type, and the share
of true values inside P10–P90.
```
{_pretty(metadata["metrics"])}
```

## Caveats
- True values are synthetic; a bank's appraisal history should replace them before production use.
- Appraised and realisable values differ widely (an IP appraised at 300万 sold for 20万): lend on the
  realisable value and the range, not on P50.
"""


def _pretty(value: dict) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)
