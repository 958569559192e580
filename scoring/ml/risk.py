"""Pledge-risk models for any tabular data.

- ``scorecard`` (the champion a banker can read): WOE bins → logistic regression → Platt calibration on
  out-of-fold logits, expressed as points (base 600 points at 50:1 good:bad odds, 20 points to double
  the odds).
- ``gbm`` (the challenger): HistGradientBoosting with monotonic constraints (from the schema where the
  feature is known, otherwise from the direction of its binned bad rates) and isotonic calibration.

Both give a calibrated PD, points, a band and the reasons that hurt most (the PD drop if the feature
took a value from its safest bin) with the improvement hints a firm can act on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.preprocessing import OrdinalEncoder

from .metrics import band_of, psi_against, reference_distribution, risk_metrics
from .schema import RISK_FEATURE_INDEX
from .woe import WOEBinner, is_numeric_column

KINDS = ("scorecard", "gbm")


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
        # Keep the columns that carry evidence (information value ≥ 0.02, the usual cut).
        self.selected_ = [c for c in self.columns_ if self.binner_.iv_[c] >= 0.02] or list(self.columns_)
        woe = self._woe(X)
        self.logit_ = LogisticRegression(C=1.0, max_iter=2000)
        self.logit_.fit(woe, y)
        folds = StratifiedKFold(5, shuffle=True, random_state=self.random_state)
        oof = cross_val_predict(LogisticRegression(C=1.0, max_iter=2000), woe, y, cv=folds, method="decision_function")
        self.calibrator_ = LogisticRegression(C=1e6, max_iter=1000).fit(oof.reshape(-1, 1), y)

    def _fit_gbm(self, X: pd.DataFrame, y: np.ndarray) -> None:
        self.encoder_ = OrdinalEncoder(
            handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan
        )
        if self.categorical_:
            self.encoder_.fit(X[self.categorical_].astype(str).where(X[self.categorical_].notna()))
        constraints = [self._direction(c) if c in self.numeric_ else 0 for c in self.columns_]
        gbm = HistGradientBoostingClassifier(
            learning_rate=0.05,
            max_iter=400,
            max_leaf_nodes=15,
            min_samples_leaf=80,
            l2_regularization=1.0,
            early_stopping=True,
            validation_fraction=0.15,
            n_iter_no_change=30,
            monotonic_cst=constraints,
            categorical_features=self._native_categorical(),
            random_state=self.random_state,
        )
        # One boosted model on all rows, isotonic calibration on its cross-validated predictions.
        self.model_ = CalibratedClassifierCV(gbm, method="isotonic", cv=3, ensemble=False).fit(self._matrix(X), y)

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
            raw = self.logit_.decision_function(self._woe(X))
            return self.calibrator_.predict_proba(raw.reshape(-1, 1))[:, 1]
        return self.model_.predict_proba(self._matrix(X))[:, 1]

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
        X = self._clean(X)
        base = self.predict_pd(X)
        impacts = self._impacts_scorecard(X, base) if self.kind == "scorecard" else self._impacts_generic(X, base)
        points = self.points(base)
        results = []
        for i in range(len(X)):
            order = [j for j in np.argsort(-impacts[i]) if impacts[i, j] > min_impact][:top]
            reasons = [self._reason(self.columns_[j], float(impacts[i, j])) for j in order]
            results.append(
                {
                    "pd": float(base[i]),
                    "points": float(points[i]),
                    "band": band_of(float(base[i])),
                    "reasons": reasons,
                    "improvements": [
                        {"feature": r["feature"], "zh": r["hint_zh"], "en": r["hint_en"]}
                        for r in reasons
                        if r["actionable"]
                    ],
                }
            )
        return results

    def _impacts_scorecard(self, X: pd.DataFrame, base: np.ndarray) -> np.ndarray:
        woe = self.binner_.transform(X)
        logit = np.log(base / (1 - base))
        slope = float(self.calibrator_.coef_[0, 0])
        impacts = np.zeros((len(X), len(self.columns_)))
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

    @staticmethod
    def _reason(column: str, impact: float) -> dict:
        known = RISK_FEATURE_INDEX.get(column)
        return {
            "feature": column,
            "pd_impact": round(impact, 5),
            "zh": known.reason_zh if known else f"{column} 不利",
            "en": known.reason_en if known else f"Unfavourable {column}",
            "actionable": bool(known and known.actionable),
            "hint_zh": known.hint_zh if known else "",
            "hint_en": known.hint_en if known else "",
        }

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
        woe = self.binner_.transform(X)
        return woe[:, [self.columns_.index(c) for c in self.selected_]]

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
