"""Pledge-risk models for any tabular data.

- ``scorecard`` (the champion a banker can read): WOE bins → logistic regression → Platt calibration on
  out-of-fold logits, expressed as points (base 600 points at 50:1 good:bad odds, 20 points to double
  the odds).
- ``gbm`` (the challenger): HistGradientBoosting with monotonic constraints (from the schema where the
  feature is known, otherwise from the direction of its binned bad rates), stacked with a plain one-hot
  logistic regression: a two-input logistic regression on both models' out-of-fold logits gives the PD,
  so it is calibrated on the data's own base rate and leans on the straight-line model where the trees
  have too few bads to learn from (a bank's file of a few dozen defaults).

Both give a calibrated PD, points, a band and the reasons that hurt most (the PD drop if the feature
took a value from its safest bin) with the improvement hints a firm can act on.
"""

from __future__ import annotations

import bisect
import math

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import OrdinalEncoder

from .metrics import BANDS, psi_against, reference_distribution, risk_metrics
from .reference import ReferenceModel
from .schema import CONFLICT_PREFIX, FACT_WORDS, FILING_PREFIX, FILING_WORDS, RISK_FEATURE_INDEX
from .woe import OTHER, WOEBinner, is_numeric_column

KINDS = ("scorecard", "gbm")
# The scorecard regression's L2 strengths (C), one chosen per fit by out-of-fold log-loss (_fit_scorecard).
SCORECARD_STRENGTHS = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
FAST_PATH_ROWS = 16  # up to this many feature dicts, a scorecard explains them without pandas
BAND_NAMES = tuple(name for name, _, _ in BANDS)
BAND_LOWER_EDGES = [lower for _, lower, _ in BANDS[1:]]  # band_of as one searchsorted


def render_reason(feature: str, pd_impact: float) -> dict:
    """A reason with its plain zh-hans and en text and the hint a firm can act on."""
    if feature.startswith(CONFLICT_PREFIX):
        return render_conflict(feature, pd_impact)
    if feature.startswith(FILING_PREFIX):
        return render_filing_flag(feature, pd_impact)
    known = RISK_FEATURE_INDEX.get(feature)
    return {
        "feature": feature,
        "pd_impact": pd_impact,
        "zh": known.reason_zh if known else f"{feature} 不利",
        "en": known.reason_en if known else f"Unfavourable {feature}",
        "actionable": bool(known and known.actionable),
        "hint_zh": known.hint_zh if known else "",
        "hint_en": known.hint_en if known else "",
    }


def render_conflict(feature: str, pd_impact: float = 0.0) -> dict:
    """The reason a declared value that disagrees with its source gives: a warning to the bank, which no
    figure of the model carries (``pd_impact`` 0), and nothing the firm improves but by explaining it."""
    name = feature.removeprefix(CONFLICT_PREFIX)
    zh, en = FACT_WORDS.get(name, (name, name))
    return {
        "feature": feature,
        "pd_impact": pd_impact,
        "zh": f"申报的{zh}与核实来源不一致",
        "en": f"The declared {en} disagrees with the verified source",
        "actionable": False,
        "hint_zh": "",
        "hint_en": "",
    }


def render_filing_flag(feature: str, pd_impact: float = 0.0) -> dict:
    """The reason a live abnormal-filing or bad-faith-trademark flag gives: a warning to the bank with its
    evidence on the asset's page; the model's figures do not carry it (``pd_impact`` 0)."""
    name = feature.removeprefix(FILING_PREFIX)
    zh, en = FILING_WORDS.get(name, ("存在非正常申请标记", "an abnormal-filing flag is raised"))
    return {
        "feature": feature,
        "pd_impact": pd_impact,
        "zh": zh,
        "en": en[:1].upper() + en[1:],
        "actionable": False,
        "hint_zh": "",
        "hint_en": "",
    }


def render_improvement(feature: str) -> dict:
    """What would improve the score: the hint of an actionable reason."""
    known = RISK_FEATURE_INDEX.get(feature)
    return {"feature": feature, "zh": known.hint_zh if known else "", "en": known.hint_en if known else ""}


def is_actionable(feature: str) -> bool:
    known = RISK_FEATURE_INDEX.get(feature)
    return bool(known and known.actionable)


class InvalidTrainingData(ValueError):
    """The data cannot train a risk model; the message says what to fix."""


def prepare_target(frame: pd.DataFrame, target: str, bad_value) -> tuple[pd.DataFrame, np.ndarray]:
    """Split a frame into features and a 0/1 target where ``bad_value`` marks a default."""
    if target not in frame.columns:
        raise InvalidTrainingData(f"Column {target!r} is not in the data; columns are {sorted(frame.columns)}.")
    raw = frame[target]
    if raw.isna().any():
        raise InvalidTrainingData(f"{int(raw.isna().sum())} rows have no value in {target!r}.")
    y = (raw.astype(str) == str(bad_value)).to_numpy(dtype=int)
    if y.sum() == 0:
        raise InvalidTrainingData(f"No row has {target} = {bad_value!r}: there are no bad outcomes to learn from.")
    if y.sum() == len(y):
        raise InvalidTrainingData(f"Every row has {target} = {bad_value!r}: there are no good outcomes.")
    if min(y.sum(), len(y) - y.sum()) < 10:
        raise InvalidTrainingData("At least 10 good and 10 bad rows are needed.")
    X = frame.drop(columns=[target])
    if X.shape[1] == 0:
        raise InvalidTrainingData("There are no feature columns besides the target.")
    return X, y


class RiskModel:
    """A calibrated PD model over named columns. ``kind`` is ``scorecard`` or ``gbm``."""

    BASE_POINTS = 600.0
    BASE_ODDS = 50.0
    PDO = 20.0

    def __init__(self, kind: str = "scorecard", random_state: int = 42, monotonic: dict[str, int] | None = None):
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        self.kind = kind
        self.random_state = random_state
        self.monotonic = monotonic

    # --- training ----------------------------------------------------------------------------------

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> RiskModel:
        X = self._clean(X, fitting=True)
        y = np.asarray(y, dtype=int)
        self.binner_ = WOEBinner().fit(X, y, directions=self._known_directions())
        if self.kind == "scorecard":
            self._fit_scorecard(X, y)
        else:
            self._fit_gbm(X, y)
        train_pd = self.predict_pd(X)
        # What training looked like, kept small, so drift (PSI) can be watched without the data.
        self.reference_ = {column: reference_distribution(X[column]) for column in self.columns_}
        self.reference_["__pd__"] = reference_distribution(train_pd)
        self.train_metrics_ = risk_metrics(y, train_pd)
        return self

    def psi(self, X: pd.DataFrame, pd_values: np.ndarray | None = None) -> dict[str, float]:
        """PSI of each feature and of the PD of recent rows against training."""
        X = self._clean(X)
        values = {column: psi_against(self.reference_[column], X[column]) for column in self.columns_}
        pd_values = self.predict_pd(X) if pd_values is None else pd_values
        values["__pd__"] = psi_against(self.reference_["__pd__"], pd_values)
        return {k: round(v, 5) for k, v in values.items()}

    def _fit_scorecard(self, X: pd.DataFrame, y: np.ndarray) -> None:
        """Bins and WOE from all rows (``binner_``, the attributes a credit committee reads), but the
        regression's columns, weights and strength, and the Platt calibration, from *cross-fitted* WOE: each
        row's WOE comes from bins learnt in the other four of five folds. WOE learnt on the same rows fits
        their noise — on 80 defaults a column of pure noise gets ten tree bins and IV 0.34, and a regression
        on in-sample WOE gives it full weight — whereas a noise column's cross-fitted WOE predicts nothing,
        so its weight goes to zero or the wrong sign. So:

        - columns whose cross-fitted WOE gets the wrong sign (higher WOE = riskier) carry no evidence that
          holds out of sample and leave the card, refitting until every weight has the right sign;
        - the L2 strength is the one with the lowest out-of-fold log-loss on the same folds (strong on a
          file of a few dozen defaults, weak on thousands);
        - the calibration sees each row's logit from a regression fitted without it.

        Measured (bench/bench_base_rates.py, seeds 1-10, 3 folds): mean AUC gap to the one-hot reference
        at 2% defaults −0.0079 → +0.0164 and at 10% +0.0033 → +0.0212; the noise columns are dropped."""
        folds = list(StratifiedKFold(5, shuffle=True, random_state=self.random_state).split(X, y))
        honest = np.empty((len(y), len(self.columns_)))
        for train_idx, test_idx in folds:
            binner = WOEBinner().fit(X.iloc[train_idx], y[train_idx], directions=self._known_directions())
            honest[test_idx] = binner.transform(X.iloc[test_idx])
        selected = list(range(len(self.columns_)))
        while True:
            strength, loss = _strength_in_folds(honest[:, selected], y, folds, SCORECARD_STRENGTHS)
            logit = LogisticRegression(C=strength, max_iter=2000).fit(honest[:, selected], y)
            # WOE is positive for safer values, so a column with evidence gets a negative weight.
            right = [j for j, coef in zip(selected, logit.coef_[0], strict=True) if coef < 0]
            if len(right) == len(selected) or not right:
                break
            selected = right
        if not right or loss >= _base_rate_loss(y, folds):
            # No column predicts out of fold better than the base rate alone (a shuffled target): the card
            # keeps its strongest column at zero weight, so every row gets the base rate.
            selected = [max(range(len(self.columns_)), key=lambda j: self.binner_.iv_[self.columns_[j]])]
            strength = SCORECARD_STRENGTHS[0]
            logit = LogisticRegression(C=strength, max_iter=2000).fit(honest[:, selected], y)
            logit.coef_[:] = 0.0
            logit.intercept_[:] = _logit(np.array([y.mean()]))
            honest[:, selected] = 0.0
        self.strength_ = strength
        self.selected_ = [self.columns_[j] for j in selected]
        self.logit_ = logit
        oof = np.empty(len(y))
        for train_idx, test_idx in folds:
            fold = LogisticRegression(C=strength, max_iter=2000).fit(honest[train_idx][:, selected], y[train_idx])
            oof[test_idx] = fold.decision_function(honest[test_idx][:, selected])
        self.calibrator_ = LogisticRegression(C=1e6, max_iter=1000).fit(oof.reshape(-1, 1), y)

    def _fit_gbm(self, X: pd.DataFrame, y: np.ndarray) -> None:
        self.encoder_ = OrdinalEncoder(
            handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan
        )
        if self.categorical_:
            self.encoder_.fit(X[self.categorical_].astype(str).where(X[self.categorical_].notna()))
        constraints = [self._direction(c) if c in self.numeric_ else 0 for c in self.columns_]
        params = {
            "learning_rate": 0.05,
            "max_iter": 400,
            "max_leaf_nodes": 15,
            "min_samples_leaf": 80,
            "l2_regularization": 1.0,
            "early_stopping": True,
            "validation_fraction": 0.15,
            "n_iter_no_change": 30,
            "monotonic_cst": constraints,
            "categorical_features": self._native_categorical(),
            "random_state": self.random_state,
        }
        # Stacking: each model's logits out of fold (3 folds), one logistic regression on the pair for the
        # weights and the calibration, then both models refitted on all rows. Fitted on this data alone,
        # so the PDs follow its base rate; a smooth blend keeps the ranking that isotonic steps would tie.
        matrix = self._matrix(X)
        oof = np.empty((len(y), 2))
        folds = StratifiedKFold(3, shuffle=True, random_state=self.random_state)
        for train_idx, test_idx in folds.split(matrix, y):
            trees = HistGradientBoostingClassifier(**params).fit(matrix[train_idx], y[train_idx])
            plain = ReferenceModel().fit(X.iloc[train_idx], y[train_idx])
            oof[test_idx, 0] = trees.decision_function(matrix[test_idx])
            oof[test_idx, 1] = _logit(plain.predict_pd(X.iloc[test_idx]))
        self.stacker_ = LogisticRegression(C=1e6, max_iter=1000).fit(oof, y)
        self.model_ = HistGradientBoostingClassifier(**params).fit(matrix, y)
        self.reference_model_ = ReferenceModel().fit(X, y)

    def _gbm_pd(self, X: pd.DataFrame) -> np.ndarray:
        if not hasattr(self, "stacker_"):
            # Saved before stacking (pledge_risk v1-gbm): the isotonic-calibrated trees alone, as it scored then.
            return self.model_.predict_proba(self._matrix(X))[:, 1]
        logits = np.column_stack(
            [self.model_.decision_function(self._matrix(X)), _logit(self.reference_model_.predict_pd(X))]
        )
        return self.stacker_.predict_proba(logits)[:, 1]

    def _known_directions(self) -> dict[str, int]:
        known = {name: f.direction for name, f in RISK_FEATURE_INDEX.items() if f.kind == "numeric" and f.direction}
        return {**known, **(self.monotonic or {})}

    def _native_categorical(self) -> list[bool]:
        """HistGradientBoosting treats up to 255 categories natively; more (e.g. an id-like column) are
        used as ordinal codes."""
        sizes = dict(zip(self.categorical_, (len(c) for c in getattr(self.encoder_, "categories_", [])), strict=False))
        return [c in sizes and sizes[c] <= 250 for c in self.columns_]

    def _direction(self, column: str) -> int:
        if self.monotonic is not None and column in self.monotonic:
            return int(self.monotonic[column])
        known = RISK_FEATURE_INDEX.get(column)
        if known is not None:
            return known.direction
        return self.binner_.monotone_direction(column)

    # --- prediction --------------------------------------------------------------------------------

    def predict_pd(self, X: pd.DataFrame) -> np.ndarray:
        X = self._clean(X)
        if self.kind == "scorecard":
            return self._scorecard_pd(self.binner_.transform(X))
        return self._gbm_pd(X)

    def points(self, pd_values: np.ndarray) -> np.ndarray:
        """Score points on the bank's scale: 600 at 50:1 odds, +20 points per doubling of the odds."""
        p = np.clip(np.asarray(pd_values, dtype=float), 1e-6, 1 - 1e-6)
        factor = self.PDO / np.log(2)
        offset = self.BASE_POINTS - factor * np.log(self.BASE_ODDS)
        return np.round(offset + factor * np.log((1 - p) / p), 1)

    def scorecard_table(self) -> list[dict]:
        """Points per attribute (bin) of each feature: the table a credit committee reads."""
        if self.kind != "scorecard":
            raise ValueError("Only the scorecard has a points table.")
        factor = self.PDO / np.log(2)
        offset = self.BASE_POINTS - factor * np.log(self.BASE_ODDS)
        slope = float(self.calibrator_.coef_[0, 0])
        intercept = float(self.calibrator_.intercept_[0]) + slope * float(self.logit_.intercept_[0])
        n = len(self.selected_)
        rows = []
        for coef, column in zip(self.logit_.coef_[0], self.selected_, strict=True):
            for label, woe, count, rate in zip(
                self.binner_.labels_[column],
                self.binner_.woe_[column],
                self.binner_.count_[column],
                self.binner_.bad_rate_[column],
                strict=True,
            ):
                points = offset / n - factor * (slope * coef * woe + intercept / n)
                rows.append(
                    {
                        "feature": column,
                        "attribute": label,
                        "woe": round(float(woe), 4),
                        "count": int(count),
                        "bad_rate": round(float(rate), 4),
                        "points": round(float(points), 1),
                    }
                )
        return rows

    def explain(self, X: pd.DataFrame, top: int = 5, min_impact: float = 0.0005) -> list[dict]:
        """For each row: PD, points, band, the reasons that hurt most and hints a firm can act on.

        A feature's impact is how much the PD would fall if it took a value from its safest bin. For
        the scorecard that is exact and cheap (one WOE swap in the logit); for other models every
        feature's "what if" copy is predicted in one stacked call.
        """
        return [
            {
                **row,
                "reasons": [render_reason(r["feature"], r["pd_impact"]) for r in row["reasons"]],
                "improvements": [
                    render_improvement(r["feature"]) for r in row["reasons"] if is_actionable(r["feature"])
                ],
            }
            for row in self.explain_compact(X, top=top, min_impact=min_impact)
        ]

    def explain_compact(self, X: pd.DataFrame | list[dict], top: int = 5, min_impact: float = 0.0005) -> list[dict]:
        """``explain`` with each reason as ``{"feature", "pd_impact"}`` only (``render_reason`` adds the
        text) and no improvements (``render_improvement`` of the actionable reasons). ``X`` may be a list of
        feature dicts; a scorecard then skips pandas for a few rows."""
        packed = self.explain_packed(X, top=top, min_impact=min_impact)
        return [
            {"pd": p, "points": pt, "band": band, "reasons": [{"feature": f, "pd_impact": v} for f, v in reasons]}
            for p, pt, band, reasons in zip(
                packed["pd"], packed["points"], packed["band"], packed["reasons"], strict=True
            )
        ]

    def explain_packed(self, X: pd.DataFrame | list[dict], top: int = 5, min_impact: float = 0.0005) -> dict[str, list]:
        """``explain`` by column, in the form a score row stores: ``pd``, ``points`` and ``band`` per row, its
        ``reasons`` packed as ``[feature, pd_impact]`` and its ``improvements`` as the features of the
        actionable ones. Computed over the whole batch's matrices; per row, only its few reasons are listed."""
        base, impacts = self._pd_and_impacts(X)
        points = self.points(base)
        bands = np.asarray(BAND_NAMES)[np.searchsorted(BAND_LOWER_EDGES, base, side="right")]
        # One argsort over the matrix (the same sort per row as one row at a time); the reasons are the
        # largest impacts above ``min_impact``.
        order = np.argsort(-impacts, axis=1)[:, :top]
        chosen = np.take_along_axis(impacts, order, axis=1)
        kept = chosen > min_impact
        columns = self.columns_
        actionable = [is_actionable(column) for column in columns]
        reasons, improvements = [], []
        for js, vs, ks in zip(order.tolist(), chosen.tolist(), kept.tolist(), strict=True):
            reasons.append([[columns[j], round(v, 5)] for j, v, k in zip(js, vs, ks, strict=True) if k])
            improvements.append([columns[j] for j, k in zip(js, ks, strict=True) if k and actionable[j]])
        return {
            "pd": base.tolist(),
            "points": points.tolist(),
            "band": bands.tolist(),
            "reasons": reasons,
            "improvements": improvements,
        }

    def _pd_and_impacts(self, X: pd.DataFrame | list[dict]) -> tuple[np.ndarray, np.ndarray]:
        if self.kind == "scorecard":
            woe = self._woe_rows(X) if isinstance(X, list) and len(X) <= FAST_PATH_ROWS else None
            if woe is None:
                woe = self.binner_.transform(self._clean(X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)))
            base = self._scorecard_pd(woe)
            return base, self._impacts_scorecard(woe, base)
        X = self._clean(X if isinstance(X, pd.DataFrame) else pd.DataFrame(X))
        base = self.predict_pd(X)
        return base, self._impacts_generic(X, base)

    def _scorecard_pd(self, woe: np.ndarray) -> np.ndarray:
        raw = self.logit_.decision_function(woe[:, self._selected_index()])
        return self.calibrator_.predict_proba(raw.reshape(-1, 1))[:, 1]

    def _selected_index(self) -> list[int]:
        return [self.columns_.index(c) for c in self.selected_]

    def _woe_rows(self, rows: list[dict]) -> np.ndarray | None:
        """The WOE matrix of a few feature dicts without pandas: the binner's own bins and WOE values.
        Returns None (use the frame path) for a value the frame path would coerce, e.g. a string in a
        numeric column."""
        binner = self.binner_
        out = np.empty((len(rows), len(self.columns_)), dtype=float)
        for i, row in enumerate(rows):
            for j, column in enumerate(self.columns_):
                value = row.get(column)
                woe = binner.woe_[column]
                if column in binner.edges_:
                    if value is None:
                        value = math.nan
                    elif isinstance(value, int | float):
                        value = float(value)
                    else:
                        return None
                    if not math.isfinite(value):
                        out[i, j] = binner.missing_woe_[column]
                    else:
                        out[i, j] = woe[bisect.bisect_right(binner.edges_[column], value)]
                elif value is None or (isinstance(value, float) and math.isnan(value)):
                    out[i, j] = binner.missing_woe_[column]
                else:
                    categories = binner.categories_[column]
                    index = categories.index(str(value)) if str(value) in categories else -1
                    if index < 0 and OTHER in categories:
                        index = categories.index(OTHER)
                    out[i, j] = woe[index] if index >= 0 else 0.0  # unseen and no pooled bin: neutral
        return out

    def _impacts_scorecard(self, woe: np.ndarray, base: np.ndarray) -> np.ndarray:
        logit = np.log(base / (1 - base))
        slope = float(self.calibrator_.coef_[0, 0])
        impacts = np.zeros((len(woe), len(self.columns_)))
        for coef, column in zip(self.logit_.coef_[0], self.selected_, strict=True):
            j = self.columns_.index(column)
            best = float(np.max(self.binner_.woe_[column]))
            shifted = logit - slope * coef * (woe[:, j] - best)
            impacts[:, j] = base - 1 / (1 + np.exp(-shifted))
        return impacts

    def _impacts_generic(self, X: pd.DataFrame, base: np.ndarray) -> np.ndarray:
        copies, movable = [], []
        for j, column in enumerate(self.columns_):
            best = self.binner_.best_value_[column]
            if isinstance(best, float) and np.isnan(best):
                continue
            changed = X.copy()
            changed[column] = best
            copies.append(changed)
            movable.append(j)
        impacts = np.zeros((len(X), len(self.columns_)))
        if copies:
            what_if = self.predict_pd(pd.concat(copies, ignore_index=True)).reshape(len(copies), len(X))
            impacts[:, movable] = (base[None, :] - what_if).T
        return impacts

    # --- internals ---------------------------------------------------------------------------------

    def _clean(self, X: pd.DataFrame, fitting: bool = False) -> pd.DataFrame:
        """Detect column kinds at fit; later, add missing columns as missing and drop unknown ones."""
        if not isinstance(X, pd.DataFrame):
            raise TypeError("Risk models take a pandas DataFrame with named columns.")
        if fitting:
            self.columns_ = list(X.columns)
            self.numeric_ = [c for c in self.columns_ if is_numeric_column(X[c])]
            self.categorical_ = [c for c in self.columns_ if c not in self.numeric_]
        X = X.reindex(columns=self.columns_)
        data = {}
        for c in self.columns_:
            if c in self.numeric_:
                values = pd.to_numeric(X[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
                data[c] = np.where(np.isfinite(values), values, np.nan)
            else:
                data[c] = X[c].astype(object).where(X[c].notna(), None)
        return pd.DataFrame(data, index=X.index)

    def _woe(self, X: pd.DataFrame) -> np.ndarray:
        return self.binner_.transform(X)[:, self._selected_index()]

    def _matrix(self, X: pd.DataFrame) -> np.ndarray:
        out = np.empty((len(X), len(self.columns_)), dtype=float)
        for j, column in enumerate(self.columns_):
            if column in self.numeric_:
                out[:, j] = X[column].to_numpy(dtype=float)
        if self.categorical_:
            cats = X[self.categorical_].astype(str).where(X[self.categorical_].notna())
            encoded = self.encoder_.transform(cats)
            for k, column in enumerate(self.categorical_):
                out[:, self.columns_.index(column)] = encoded[:, k]
        return out


def _strength_in_folds(X: np.ndarray, y: np.ndarray, folds: list, strengths: tuple[float, ...]) -> tuple[float, float]:
    """The L2 strength C whose logistic regression has the lowest out-of-fold log-loss over ``folds``, and
    that loss."""
    losses = []
    for strength in strengths:
        loss = 0.0
        for train_idx, test_idx in folds:
            model = LogisticRegression(C=strength, max_iter=2000).fit(X[train_idx], y[train_idx])
            loss += _log_loss_sum(y[test_idx], model.predict_proba(X[test_idx])[:, 1])
        losses.append(loss)
    best = int(np.argmin(losses))
    return strengths[best], losses[best]


def _base_rate_loss(y: np.ndarray, folds: list) -> float:
    """Out-of-fold log-loss of predicting each fold's training base rate for every row."""
    return sum(_log_loss_sum(y[test_idx], np.full(len(test_idx), y[train_idx].mean())) for train_idx, test_idx in folds)


def _log_loss_sum(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return -float(np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))
