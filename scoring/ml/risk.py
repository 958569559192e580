"""Pledge-risk models for any tabular data.

- ``scorecard`` (the champion a banker can read): WOE bins → a regression on the bins' WOE and one on the
  bins themselves, blended and calibrated on their out-of-fold logits, expressed as points per attribute
  (base 600 points at 50:1 good:bad odds, 20 points to double the odds). Cards saved before the blend
  (pledge_risk v1-v3) keep one WOE regression with Platt calibration and score as they did.
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
from .woe import MISSING, OTHER, WOEBinner, is_numeric_column

KINDS = ("scorecard", "gbm")
# The scorecard regression's L2 strengths (C), one chosen per fit by out-of-fold log-loss (_fit_scorecard).
SCORECARD_STRENGTHS = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
FAST_PATH_ROWS = 16  # up to this many feature dicts, a scorecard explains them without pandas
BAND_NAMES = tuple(name for name, _, _ in BANDS)
BAND_LOWER_EDGES = [lower for _, lower, _ in BANDS[1:]]  # band_of as one searchsorted


def round_places(values: np.ndarray, places: int) -> np.ndarray:
    """``round(v, places)`` of every value, equal to Python's (the decimal rounding of the exact binary value, half
    to even, as the nearest float), over an array at once. ``rint(v · 10^places) / 10^places`` is that wherever the
    scaled value is below 10⁹ and not within 10⁻⁶ of a half: its own rounding error is then under 10⁻⁷, so it rounds
    to the same integer as the exact product, and one division by an exact power of ten gives the float nearest to
    that decimal. The few other values (near a half, huge, not finite) go through ``round``. NumPy's own ``round``
    differs from Python's near halves."""
    scale = 10.0**places
    scaled = values * scale
    rounded = np.rint(scaled) / scale
    with np.errstate(invalid="ignore"):
        exact = (np.abs(scaled) < 1e9) & (np.abs(scaled - np.floor(scaled) - 0.5) >= 1e-6)
    if not exact.all():
        rounded[~exact] = [round(v, places) for v in values[~exact].tolist()]
    return rounded


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
        """Bins and WOE from all rows (``binner_``, the attributes a credit committee reads); two regressions
        on those attributes, each judged out of fold, blended into one points-per-attribute card.

        1. *WOE regression*: columns, weights and strength from *cross-fitted* WOE, each row's WOE from bins
           learnt in the other four of five folds. WOE learnt on the same rows fits their noise — on 80
           defaults a column of pure noise gets ten tree bins and IV 0.34, and a regression on in-sample WOE
           gives it full weight — whereas a noise column's cross-fitted WOE predicts nothing. So a column
           whose weight gets the wrong sign (higher WOE = riskier) leaves it, refitting until every weight
           has the right sign, and the L2 strength is the one with the lowest out-of-fold log-loss.
        2. *Attribute regression*: points per bin fitted directly (a numeric column's bins as steps from its
           lowest bin, a category's as its own column, blanks their own), L2 strength by out-of-fold
           log-loss with the bins relearnt in each fold. The penalty on the steps pulls neighbouring bins
           together instead of every bin to zero: a smooth curve where a few dozen defaults cannot tell
           the bins apart, which one WOE weight per column cannot give.
        3. *Blend*: a logistic regression on both regressions' out-of-fold logits weighs them and calibrates
           the PD (an input whose weight comes out negative is left out). A weighted sum of two additive
           cards is an additive card: ``attribute_logits_`` holds each bin's share of the logit.

        Measured (bench/bench_base_rates.py, seeds 1-10, 3 folds; see bench/README.md): the WOE regression
        alone took the mean AUC gap to the one-hot reference at 2% defaults from −0.0079 to +0.0164; the
        blend to +0.0191, the worst seed from −0.0416 to −0.0252 (seeds 11-20: +0.0104 → +0.0179, worst
        −0.0246 → −0.0134), no worse at 10% and 30%. On the default world's 2,872 defaults the blend keeps
        the attribute regression alone."""
        folds = list(StratifiedKFold(5, shuffle=True, random_state=self.random_state).split(X, y))
        honest = np.empty((len(y), len(self.columns_)))
        fold_binners = []
        for train_idx, test_idx in folds:
            binner = WOEBinner().fit(X.iloc[train_idx], y[train_idx], directions=self._known_directions())
            honest[test_idx] = binner.transform(X.iloc[test_idx])
            fold_binners.append(binner)
        base_loss = _base_rate_loss(y, folds)
        selected = list(range(len(self.columns_)))
        while True:
            strength, woe_loss = _strength_in_folds(honest[:, selected], y, folds, SCORECARD_STRENGTHS)
            logit = LogisticRegression(C=strength, max_iter=2000).fit(honest[:, selected], y)
            # WOE is positive for safer values, so a column with evidence gets a negative weight.
            right = [j for j, coef in zip(selected, logit.coef_[0], strict=True) if coef < 0]
            if len(right) == len(selected) or not right:
                break
            selected = right
        woe_holds = bool(right) and woe_loss < base_loss
        self.strength_ = strength
        self.woe_columns_ = [self.columns_[j] for j in selected]
        self.logit_ = logit
        woe_oof = np.empty(len(y))
        for train_idx, test_idx in folds:
            fold = LogisticRegression(C=strength, max_iter=2000).fit(honest[train_idx][:, selected], y[train_idx])
            woe_oof[test_idx] = fold.decision_function(honest[test_idx][:, selected])

        encoded = [
            (_attribute_matrix(b, X.iloc[train_idx]), _attribute_matrix(b, X.iloc[test_idx]))
            for b, (train_idx, test_idx) in zip(fold_binners, folds, strict=True)
        ]
        self.attribute_strength_, attribute_loss, attribute_oof = _attribute_strength_in_folds(encoded, y, folds)
        self.attributes_ = LogisticRegression(C=self.attribute_strength_, max_iter=3000).fit(
            _attribute_matrix(self.binner_, X), y
        )
        attribute_holds = attribute_loss < base_loss

        inputs = [k for k, holds in enumerate((woe_holds, attribute_holds)) if holds]
        blend = None
        while inputs:
            blend = LogisticRegression(C=1e6, max_iter=1000).fit(
                np.column_stack([woe_oof, attribute_oof])[:, inputs], y
            )
            if (blend.coef_[0] > 0).all():
                break
            inputs = [k for k, w in zip(inputs, blend.coef_[0], strict=True) if w > 0]
            blend = None
        self.blend_inputs_ = [("woe", "attributes")[k] for k in inputs]
        self.blend_ = blend
        self._set_attribute_logits(y)

    def _set_attribute_logits(self, y: np.ndarray) -> None:
        """Each bin's share of the blended logit (``attribute_logits_``: per column its ``bins``, ``missing``
        and ``unseen`` values) and the rest of the logit (``card_intercept_``). With neither regression
        beating the base rate out of fold (a shuffled target), every row gets the base rate."""
        tables = {
            c: {"bins": np.zeros(len(self.binner_.labels_[c])), "missing": 0.0, "unseen": 0.0} for c in self.columns_
        }
        intercept = float(_logit(np.array([y.mean()]))[0])
        if self.blend_ is not None:
            weights = dict(zip(self.blend_inputs_, self.blend_.coef_[0], strict=True))
            intercept = float(self.blend_.intercept_[0])
            if "woe" in weights:
                w = float(weights["woe"])
                intercept += w * float(self.logit_.intercept_[0])
                for coef, column in zip(self.logit_.coef_[0], self.woe_columns_, strict=True):
                    tables[column]["bins"] = tables[column]["bins"] + w * coef * self.binner_.woe_[column]
                    tables[column]["missing"] += w * coef * self.binner_.missing_woe_[column]
            if "attributes" in weights:
                w = float(weights["attributes"])
                intercept += w * float(self.attributes_.intercept_[0])
                for column, (bins, missing) in _attribute_tables(self.binner_, self.attributes_.coef_[0]).items():
                    tables[column]["bins"] = tables[column]["bins"] + w * bins
                    tables[column]["missing"] += w * missing
        on_card = [c for c in self.columns_ if np.any(tables[c]["bins"]) or tables[c]["missing"]]
        if not on_card:
            # The card keeps its strongest column at zero points, so that it still has a row to show.
            on_card = [max(self.columns_, key=lambda c: self.binner_.iv_[c])]
        self.selected_ = on_card
        self.attribute_logits_ = {c: tables[c] for c in on_card}
        self.card_intercept_ = intercept

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
            return self._scorecard_pd(self._evidence(X))
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
        if self._is_attribute_card():
            intercept = self.card_intercept_
            shares = {column: self.attribute_logits_[column]["bins"] for column in self.selected_}
        else:  # a card saved before attribute_logits_: Platt on one WOE regression
            slope = float(self.calibrator_.coef_[0, 0])
            intercept = float(self.calibrator_.intercept_[0]) + slope * float(self.logit_.intercept_[0])
            shares = {
                column: slope * coef * self.binner_.woe_[column]
                for coef, column in zip(self.logit_.coef_[0], self.selected_, strict=True)
            }
        n = len(self.selected_)
        rows = []
        for column in self.selected_:
            for label, woe, count, rate, share in zip(
                self.binner_.labels_[column],
                self.binner_.woe_[column],
                self.binner_.count_[column],
                self.binner_.bad_rate_[column],
                shares[column],
                strict=True,
            ):
                points = offset / n - factor * (share + intercept / n)
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
        the scorecard that is exact and cheap (one bin's share swapped in the logit); for other models every
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
        # largest impacts above ``min_impact``: sorted in decreasing order, the first ``kept`` of each row (a NaN
        # sorts last and is never above). Names, rounded impacts and actionability are taken for the whole
        # matrix at once; per row, only its lists are made.
        order = np.argsort(-impacts, axis=1)[:, :top]
        chosen = np.take_along_axis(impacts, order, axis=1)
        kept = (chosen > min_impact).sum(axis=1).tolist()
        names = np.asarray(self.columns_, dtype=object)[order].tolist()
        actionable = np.asarray([is_actionable(column) for column in self.columns_], dtype=bool)[order].tolist()
        reasons, improvements = [], []
        for ns, vs, acts, k in zip(names, round_places(chosen, 5).tolist(), actionable, kept, strict=True):
            reasons.append([[n, v] for n, v in zip(ns[:k], vs[:k], strict=True)])
            improvements.append([n for n, act in zip(ns[:k], acts[:k], strict=True) if act])
        return {
            "pd": base.tolist(),
            "points": points.tolist(),
            "band": bands.tolist(),
            "reasons": reasons,
            "improvements": improvements,
        }

    def _pd_and_impacts(self, X: pd.DataFrame | list[dict]) -> tuple[np.ndarray, np.ndarray]:
        if self.kind == "scorecard":
            evidence = self._evidence_rows(X) if isinstance(X, list) and len(X) <= FAST_PATH_ROWS else None
            if evidence is None:
                evidence = self._evidence(self._clean(X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)))
            base = self._scorecard_pd(evidence)
            return base, self._impacts_scorecard(evidence, base)
        X = self._clean(X if isinstance(X, pd.DataFrame) else pd.DataFrame(X))
        base = self.predict_pd(X)
        return base, self._impacts_generic(X, base)

    def _is_attribute_card(self) -> bool:
        """A scorecard fitted since the blend keeps each bin's share of the logit; one saved before it (v1-v3)
        keeps WOE, one regression and its Platt calibration, and scores exactly as it did."""
        return hasattr(self, "attribute_logits_")

    def _evidence_tables(self) -> dict[str, tuple[np.ndarray, float, float]]:
        """Per column on the card, what each bin, a blank and an unseen category read: the bins' shares of
        the logit on an attribute card, their WOE on an older card."""
        if self._is_attribute_card():
            return {c: (t["bins"], t["missing"], t["unseen"]) for c, t in self.attribute_logits_.items()}
        return {c: (self.binner_.woe_[c], self.binner_.missing_woe_[c], 0.0) for c in self.columns_}

    def _evidence(self, X: pd.DataFrame) -> np.ndarray:
        """The evidence matrix of cleaned rows (``_evidence_tables``; 0 for a column off the card)."""
        if not self._is_attribute_card():
            return self.binner_.transform(X)
        out = np.zeros((len(X), len(self.columns_)))
        for j, column in enumerate(self.columns_):
            if column not in self.attribute_logits_:
                continue
            table = self.attribute_logits_[column]
            bins = table["bins"]
            index = self.binner_.bin_index(X[column], column)
            read = np.where(index >= len(bins), table["unseen"], bins[np.clip(index, 0, len(bins) - 1)])
            out[:, j] = np.where(index == MISSING, table["missing"], read)
        return out

    def _scorecard_pd(self, evidence: np.ndarray) -> np.ndarray:
        if self._is_attribute_card():
            return 1 / (1 + np.exp(-(self.card_intercept_ + evidence.sum(axis=1))))
        raw = self.logit_.decision_function(evidence[:, self._selected_index()])
        return self.calibrator_.predict_proba(raw.reshape(-1, 1))[:, 1]

    def _selected_index(self) -> list[int]:
        return [self.columns_.index(c) for c in self.selected_]

    def _evidence_rows(self, rows: list[dict]) -> np.ndarray | None:
        """The evidence matrix of a few feature dicts without pandas: the binner's own bins read through
        ``_evidence_tables``. Returns None (use the frame path) for a value the frame path would coerce, e.g.
        a string in a numeric column."""
        binner = self.binner_
        tables = self._evidence_tables()
        out = np.zeros((len(rows), len(self.columns_)), dtype=float)
        for i, row in enumerate(rows):
            for j, column in enumerate(self.columns_):
                value = row.get(column)
                if column in binner.edges_:
                    if value is None:
                        value = math.nan
                    elif isinstance(value, int | float):
                        value = float(value)
                    else:
                        return None
                if column not in tables:
                    continue
                bins, missing, unseen = tables[column]
                if column in binner.edges_:
                    if not math.isfinite(value):
                        out[i, j] = missing
                    else:
                        out[i, j] = bins[bisect.bisect_right(binner.edges_[column], value)]
                elif value is None or (isinstance(value, float) and math.isnan(value)):
                    out[i, j] = missing
                else:
                    categories = binner.categories_[column]
                    index = categories.index(str(value)) if str(value) in categories else -1
                    if index < 0 and OTHER in categories:
                        index = categories.index(OTHER)
                    out[i, j] = bins[index] if index >= 0 else unseen  # unseen and no pooled bin
        return out

    def _impacts_scorecard(self, woe: np.ndarray, base: np.ndarray) -> np.ndarray:
        if self._is_attribute_card():
            logit = self.card_intercept_ + woe.sum(axis=1)
            impacts = np.zeros((len(woe), len(self.columns_)))
            for column in self.selected_:
                j = self.columns_.index(column)
                best = float(np.min(self.attribute_logits_[column]["bins"]))  # the safest bin's share
                impacts[:, j] = base - 1 / (1 + np.exp(-(logit - (woe[:, j] - best))))
            return impacts
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


def _attribute_matrix(binner: WOEBinner, X: pd.DataFrame) -> np.ndarray:
    """The bins of every column as the attribute regression's inputs: a numeric column's bins as steps (input
    k is 1 from bin k up, so a weight is the change from the bin below), a category's bins one-hot, and one
    input for a blank; a category never seen in training reads all zeros."""
    blocks = []
    for column in binner.columns_:
        index = binner.bin_index(X[column], column)
        k = len(binner.labels_[column])
        if column in binner.edges_:
            steps = (index[:, None] >= np.arange(1, k)[None, :]).astype(float)
        else:
            steps = (index[:, None] == np.arange(k)[None, :]).astype(float)
        blocks.extend([steps, (index == MISSING).astype(float)[:, None]])
    return np.hstack(blocks)


def _attribute_tables(binner: WOEBinner, coef: np.ndarray) -> dict[str, tuple[np.ndarray, float]]:
    """The attribute regression's weights (``_attribute_matrix``'s layout) as each column's logit per bin and
    for a blank."""
    tables, at = {}, 0
    for column in binner.columns_:
        k = len(binner.labels_[column])
        if column in binner.edges_:
            bins = np.concatenate([[0.0], np.cumsum(coef[at : at + k - 1])])
            at += k - 1
        else:
            bins = np.array(coef[at : at + k], dtype=float)
            at += k
        tables[column] = (bins, float(coef[at]))
        at += 1
    return tables


def _attribute_strength_in_folds(encoded: list, y: np.ndarray, folds: list) -> tuple[float, float, np.ndarray]:
    """The attribute regression's L2 strength C with the lowest out-of-fold log-loss (``encoded``: each fold's
    training and held-out inputs from bins learnt on its training rows), that loss and its out-of-fold logits."""
    best = (math.inf, SCORECARD_STRENGTHS[0], np.zeros(len(y)))
    for strength in SCORECARD_STRENGTHS:
        oof = np.empty(len(y))
        for (train_idx, test_idx), (train, test) in zip(folds, encoded, strict=True):
            oof[test_idx] = (
                LogisticRegression(C=strength, max_iter=3000).fit(train, y[train_idx]).decision_function(test)
            )
        loss = _log_loss_sum(y, 1 / (1 + np.exp(-oof)))
        if loss < best[0]:
            best = (loss, strength, oof)
    return best[1], best[0], best[2]


def _base_rate_loss(y: np.ndarray, folds: list) -> float:
    """Out-of-fold log-loss of predicting each fold's training base rate for every row."""
    return sum(_log_loss_sum(y[test_idx], np.full(len(test_idx), y[train_idx].mean())) for train_idx, test_idx in folds)


def _log_loss_sum(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return -float(np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))
