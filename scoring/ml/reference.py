"""The plain model a bank's analyst would try first: one-hot logistic regression.

Every evaluation fits it in the same folds as the champion and the challenger, so a bank sees what the
scorecard and the boosted model add over the obvious baseline (BRIEF §6). Numbers enter as they are
(median-filled, a flag for blanks, standardised); each category is a column of its own (rare ones pooled,
blanks their own category, unseen ones nowhere). No binning, no calibration step: a logistic regression's
PDs are fitted to the bank's own base rate already.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .woe import is_numeric_column

MISSING_CATEGORY = "__missing__"


class ReferenceModel:
    """One-hot logistic regression over named columns, with ``predict_pd`` like ``RiskModel``."""

    kind = "reference"

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> ReferenceModel:
        self.numeric_ = [c for c in X.columns if is_numeric_column(X[c])]
        self.categorical_ = [c for c in X.columns if c not in self.numeric_]
        numbers = make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler())
        categories = OneHotEncoder(handle_unknown="ignore", min_frequency=5)
        columns = ColumnTransformer(
            [("numeric", numbers, self.numeric_), ("categorical", categories, self.categorical_)]
        )
        self.model_ = make_pipeline(columns, LogisticRegression(C=1.0, max_iter=2000))
        self.model_.fit(self._frame(X), np.asarray(y, dtype=int))
        return self

    def predict_pd(self, X: pd.DataFrame) -> np.ndarray:
        return self.model_.predict_proba(self._frame(X))[:, 1]

    def _frame(self, X: pd.DataFrame) -> pd.DataFrame:
        X = X.reindex(columns=[*self.numeric_, *self.categorical_])
        data = {c: pd.to_numeric(X[c], errors="coerce").astype(float) for c in self.numeric_}
        data |= {c: X[c].astype(object).where(X[c].notna(), MISSING_CATEGORY).astype(str) for c in self.categorical_}
        return pd.DataFrame(data, index=X.index)
