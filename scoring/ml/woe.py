"""Weight-of-evidence binning for any tabular data: numeric columns in supervised (tree) bins, categorical
columns by value (rare values pooled), missing values in a bin of their own, unseen values neutral."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.tree import DecisionTreeClassifier

OTHER = "__other__"
MISSING = -1


def is_numeric_column(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


class WOEBinner(TransformerMixin, BaseEstimator):
    """``woe = ln(share of goods in the bin ÷ share of bads in the bin)``: positive means safer.

    After ``fit``: ``edges_`` (numeric) or ``categories_`` (categorical) define the bins of each column;
    ``woe_``, ``bad_rate_`` and ``count_`` describe them; ``missing_woe_`` is the WOE of missing values
    (0 when training saw none); ``iv_`` is each column's information value; ``best_value_`` is a value
    from the column's safest bin (used for "what if" explanations).
    """

    def __init__(self, max_bins: int = 10, min_bin_share: float = 0.02, smoothing: float = 0.5):
        self.max_bins = max_bins
        self.min_bin_share = min_bin_share
        self.smoothing = smoothing

    def fit(self, X: pd.DataFrame, y, directions: dict[str, int] | None = None):
        """``directions`` (+1 riskier when larger, -1 safer) makes a numeric column's bad rate monotone
        across its bins, as credit committees expect; other numeric columns get the direction their own
        bins show when it is clear, and none otherwise."""
        y = np.asarray(y, dtype=int)
        self.columns_ = list(X.columns)
        self.numeric_ = [c for c in self.columns_ if is_numeric_column(X[c])]
        self.edges_, self.categories_ = {}, {}
        self.woe_, self.bad_rate_, self.count_, self.labels_ = {}, {}, {}, {}
        self.missing_woe_, self.iv_, self.best_value_ = {}, {}, {}
        goods, bads = float((y == 0).sum()), float((y == 1).sum())
        for column in self.columns_:
            if column in self.numeric_:
                values = X[column].to_numpy(dtype=float)
                present = ~np.isnan(values)
                edges = self._numeric_edges(values[present], y[present])
                direction = (directions or {}).get(column)
                self.edges_[column] = self._monotone(edges, values[present], y[present], direction)
            else:
                self.categories_[column] = self._categories(X[column])
            index = self._bin_index(X[column], column)
            n_bins = len(self._labels(column))
            bad = np.bincount(index[index >= 0], weights=y[index >= 0], minlength=n_bins)
            count = np.bincount(index[index >= 0], minlength=n_bins).astype(float)
            good = count - bad
            s = self.smoothing
            woe = np.log(((good + s) / (goods + s)) / ((bad + s) / (bads + s)))
            self.woe_[column] = woe
            self.count_[column] = count.astype(int)
            self.bad_rate_[column] = np.divide(bad, count, out=np.zeros_like(bad), where=count > 0)
            self.labels_[column] = self._labels(column)
            missing = index == MISSING
            if missing.any():
                m_bad = float(y[missing].sum())
                m_good = float(missing.sum()) - m_bad
                self.missing_woe_[column] = float(np.log(((m_good + s) / (goods + s)) / ((m_bad + s) / (bads + s))))
            else:
                self.missing_woe_[column] = 0.0
            self.iv_[column] = float(np.sum(((good + s) / (goods + s) - (bad + s) / (bads + s)) * woe))
            self.best_value_[column] = self._representative(X[column], index, int(np.argmax(woe)), column)
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        out = np.empty((len(X), len(self.columns_)), dtype=float)
        for j, column in enumerate(self.columns_):
            index = self._bin_index(X[column], column)
            woe = self.woe_[column]
            out[:, j] = np.where(index == MISSING, self.missing_woe_[column], woe[np.clip(index, 0, len(woe) - 1)])
            if column in self.categories_:
                unseen = index == len(woe)  # a category never seen in training: neutral evidence
                out[unseen, j] = 0.0
        return out

    def monotone_direction(self, column: str) -> int:
        """+1 if the bad rate rises with the value across bins, -1 if it falls, 0 otherwise."""
        if column not in self.numeric_ or len(self.woe_[column]) < 3:
            return 0
        rate = self.bad_rate_[column]
        if np.all(np.diff(rate) >= 0):
            return 1
        if np.all(np.diff(rate) <= 0):
            return -1
        return 0

    def bin_index(self, series: pd.Series, column: str) -> np.ndarray:
        """Each value's bin in ``labels_[column]``: ``MISSING`` for a blank, ``len(labels)`` for a category
        never seen in training when no pooled bin takes it."""
        return self._bin_index(series, column)

    def bin_labels(self, X: pd.DataFrame, column: str) -> list[str]:
        index = self._bin_index(X[column], column)
        labels = self.labels_[column]
        return ["missing" if i == MISSING else (labels[i] if i < len(labels) else "unseen") for i in index]

    # --- internals ---------------------------------------------------------------------------------

    def _numeric_edges(self, values: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Supervised bins: a shallow tree on the one column puts edges where the bad rate changes
        (in the tail too, where quantile bins would lump the riskiest cases together); every bin
        keeps at least ``min_bin_share`` of the rows."""
        if len(values) == 0 or np.unique(values).size < 2:
            return np.array([])
        tree = DecisionTreeClassifier(
            max_leaf_nodes=self.max_bins,
            min_samples_leaf=max(1, int(np.ceil(self.min_bin_share * len(values)))),
            random_state=0,
        ).fit(values.reshape(-1, 1), y)
        thresholds = tree.tree_.threshold[tree.tree_.feature >= 0]
        return np.unique(thresholds)

    @staticmethod
    def _monotone(edges: np.ndarray, values: np.ndarray, y: np.ndarray, direction: int | None) -> np.ndarray:
        """Pool adjacent bins whose bad rates go against ``direction`` until none do."""
        if len(edges) == 0:
            return edges
        if direction is None:
            index = np.searchsorted(edges, values, side="right")
            rates = np.bincount(index, weights=y, minlength=len(edges) + 1) / np.maximum(
                np.bincount(index, minlength=len(edges) + 1), 1
            )
            trend = np.corrcoef(np.arange(len(rates)), rates)[0, 1] if len(rates) > 2 else 0.0
            direction = int(np.sign(trend)) if abs(trend) >= 0.6 else 0
        if direction == 0:
            return edges
        edges = list(edges)
        while edges:
            index = np.searchsorted(edges, values, side="right")
            counts = np.bincount(index, minlength=len(edges) + 1)
            rates = np.bincount(index, weights=y, minlength=len(edges) + 1) / np.maximum(counts, 1)
            steps = np.diff(rates) * direction
            if (steps >= 0).all():
                break
            del edges[int(np.argmin(steps))]  # the worst reversal: merge that pair of bins
        return np.array(edges)

    def _categories(self, series: pd.Series) -> list[str]:
        values = series.dropna().astype(str)
        shares = values.value_counts(normalize=True)
        kept = sorted(shares[shares >= self.min_bin_share].index.tolist())
        return [*kept, OTHER] if len(kept) < len(shares) else kept

    def _labels(self, column: str) -> list[str]:
        if column in self.edges_:
            edges = self.edges_[column]
            bounds = [-np.inf, *edges.tolist(), np.inf]
            return [f"[{_fmt(lo)}, {_fmt(hi)})" for lo, hi in itertools.pairwise(bounds)]
        return list(self.categories_[column])

    def _bin_index(self, series: pd.Series, column: str) -> np.ndarray:
        if column in self.edges_:
            values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
            index = np.searchsorted(self.edges_[column], values, side="right")
            return np.where(np.isnan(values), MISSING, index)
        categories = self.categories_[column]
        lookup = {c: i for i, c in enumerate(categories)}
        fallback = lookup.get(OTHER, len(categories))  # unseen → OTHER if it exists, else "unseen"
        missing = series.isna().to_numpy()
        index = series.astype(str).map(lookup).fillna(fallback).to_numpy(dtype=int)
        return np.where(missing, MISSING, index)

    def _representative(self, series: pd.Series, index: np.ndarray, best: int, column: str):
        if column in self.edges_:
            values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)[index == best]
            return float(np.median(values)) if len(values) else float("nan")
        category = self.categories_[column][best]
        if category == OTHER:
            in_bin = series[index == best].dropna().astype(str)
            return in_bin.mode().iloc[0] if len(in_bin) else category
        return category


def _fmt(value: float) -> str:
    if np.isinf(value):
        return "-∞" if value < 0 else "∞"
    return f"{value:.4g}"
