"""Discrimination, calibration and stability metrics for PD models (BRIEF §6)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.metrics import brier_score_loss, roc_auc_score, roc_curve

BANDS = (("A", 0.0, 0.01), ("B", 0.01, 0.025), ("C", 0.025, 0.05), ("D", 0.05, 0.10), ("E", 0.10, 1.0))


def band_of(pd_value: float) -> str:
    for name, lower, upper in BANDS:
        if lower <= pd_value < upper:
            return name
    return BANDS[-1][0]


def ks_statistic(y: np.ndarray, p: np.ndarray) -> float:
    fpr, tpr, _ = roc_curve(y, p)
    return float(np.max(tpr - fpr))


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 15) -> float:
    """ECE over equal-frequency bins (equal-width bins would put a low-default book in one bin)."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    order = np.argsort(p, kind="stable")
    total = 0.0
    for chunk in np.array_split(order, bins):
        if len(chunk):
            total += len(chunk) * abs(y[chunk].mean() - p[chunk].mean())
    return float(total / len(y))


def population_stability_index(expected: np.ndarray, actual: np.ndarray, bins: int = 10) -> float:
    """PSI of ``actual`` against ``expected`` on the expected sample's quantile bins (0.10 watch, 0.25 act)."""
    expected = np.asarray(expected, dtype=float)
    actual = np.asarray(actual, dtype=float)
    expected, actual = expected[~np.isnan(expected)], actual[~np.isnan(actual)]
    if len(expected) == 0 or len(actual) == 0:
        return float("nan")
    edges = np.unique(np.quantile(expected, np.linspace(0, 1, bins + 1)[1:-1]))
    e = np.bincount(np.searchsorted(edges, expected, side="right"), minlength=len(edges) + 1) / len(expected)
    a = np.bincount(np.searchsorted(edges, actual, side="right"), minlength=len(edges) + 1) / len(actual)
    e, a = np.clip(e, 1e-4, None), np.clip(a, 1e-4, None)
    return float(np.sum((a - e) * np.log(a / e)))


def reference_distribution(values, bins: int = 10) -> dict:
    """A compact picture of a training distribution to compute PSI against later without the data:
    decile edges and shares for numbers, shares per value for categories."""
    series = pd.Series(values)
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        numbers = series.to_numpy(dtype=float)
        numbers = numbers[~np.isnan(numbers)]
        edges = np.unique(np.quantile(numbers, np.linspace(0, 1, bins + 1)[1:-1])) if len(numbers) else np.array([])
        shares = np.bincount(np.searchsorted(edges, numbers, side="right"), minlength=len(edges) + 1) / max(
            len(numbers), 1
        )
        return {"kind": "numeric", "edges": edges.tolist(), "shares": shares.round(6).tolist()}
    counts = series.astype(str).value_counts(normalize=True)
    return {"kind": "categorical", "categories": counts.index.tolist(), "shares": counts.round(6).tolist()}


def psi_against(reference: dict, values) -> float:
    """PSI of ``values`` against a ``reference_distribution``; unseen categories count as one extra bin."""
    expected = np.asarray(reference["shares"], dtype=float)
    series = pd.Series(values)
    if reference["kind"] == "numeric":
        numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
        numbers = numbers[~np.isnan(numbers)]
        if not len(numbers):
            return float("nan")
        index = np.searchsorted(np.asarray(reference["edges"]), numbers, side="right")
        actual = np.bincount(index, minlength=len(expected)) / len(numbers)
    else:
        lookup = {c: i for i, c in enumerate(reference["categories"])}
        index = np.array([lookup.get(str(v), len(expected)) for v in series.tolist()], dtype=int)
        if not len(index):
            return float("nan")
        expected = np.append(expected, 0.0)
        actual = np.bincount(index, minlength=len(expected)) / len(index)
    e, a = np.clip(expected, 1e-4, None), np.clip(actual, 1e-4, None)
    return float(np.sum((a - e) * np.log(a / e)))


def paired_auc_difference(y, score_a, score_b) -> tuple[float, float]:
    """AUC(a) − AUC(b) on the same rows, and its standard error by DeLong's paired variance.

    Both scores rank the same defaults and non-defaults, so their AUCs share most of their noise; the SE of
    the difference is far smaller than either AUC's own and says whether a gap is more than the luck of which
    rows happen to be in the sample (it does not count the noise of the models' training). Computed with
    the fast algorithm of Sun & Xu (2014, IEEE Signal Processing Letters 21(11)): midranks within the
    defaults, within the non-defaults and over all rows give each row's structural component
    (V10 for a default: the share of non-defaults it outranks, ties counting half; V01 for a non-default:
    the share of defaults that outrank it) in O(n log n), and

        Var(Δ) = Var(V10_a − V10_b) / m + Var(V01_a − V01_b) / n

    with m defaults, n non-defaults and sample variances (ddof 1). SE 0 when the two scores rank alike.
    """
    y = np.asarray(y)
    positives = y == 1
    if not (positives.any() and (~positives).any()) or not np.isin(y, (0, 1)).all():
        raise ValueError("y must be 0/1 with both classes present.")
    m, n = int(positives.sum()), int((~positives).sum())
    components = []
    for score in (score_a, score_b):
        score = np.asarray(score, dtype=float)
        if score.shape != y.shape:
            raise ValueError("Each score needs one value per row of y.")
        x, z = score[positives], score[~positives]
        overall = rankdata(np.concatenate([x, z]))  # midranks: ties count half
        v10 = (overall[:m] - rankdata(x)) / n
        v01 = 1.0 - (overall[m:] - rankdata(z)) / m
        components.append((v10, v01))
    (a10, a01), (b10, b01) = components
    delta = float(a10.mean() - b10.mean())
    d10, d01 = a10 - b10, a01 - b01
    variance = (np.var(d10, ddof=1) if m > 1 else 0.0) / m + (np.var(d01, ddof=1) if n > 1 else 0.0) / n
    return delta, float(np.sqrt(max(variance, 0.0)))


def risk_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    auc = float(roc_auc_score(y, p))
    return {
        "auc": round(auc, 4),
        "gini": round(2 * auc - 1, 4),
        "ks": round(ks_statistic(y, p), 4),
        "brier": round(float(brier_score_loss(y, p)), 5),
        "ece": round(expected_calibration_error(y, p), 5),
    }


def calibration_by_band(y: np.ndarray, p: np.ndarray) -> list[dict]:
    y, p = np.asarray(y, dtype=int), np.asarray(p, dtype=float)
    rows = []
    for name, lower, upper in BANDS:
        mask = (p >= lower) & (p < upper) if name != BANDS[-1][0] else p >= lower
        n = int(mask.sum())
        rows.append(
            {
                "band": name,
                "pd_range": f"{lower:.1%}–{upper:.1%}",
                "loans": n,
                "mean_pd": round(float(p[mask].mean()), 4) if n else None,
                "observed_default_rate": round(float(y[mask].mean()), 4) if n else None,
            }
        )
    return rows
