"""Run-rate forecast of volume to a period's end, with an interval. Pure numpy: no Django, no database.

Method (stated in every answer): a **bootstrap of recent monthly volumes**. The last ``window`` complete
months' volumes (yuan) are resampled with replacement, one draw per month still to come (the rest of the
running month counts pro rata by days); each of ``draws`` simulations adds its draws to the volume already
reached. The point forecast is the median simulation, the interval its 10th and 90th percentiles, and the
probability of reaching the target the share of simulations at or above it. The seed is fixed, so the same
data give the same answer. It assumes the coming months look like the recent ones: no trend, no seasonality;
with fewer than 3 complete months there is too little history and no forecast is made."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

METHOD = (
    "Bootstrap of the last {window} complete months' volumes (resampled with replacement, {draws} simulations, "
    "fixed seed) added to the volume reached; point = median, interval = 10th-90th percentile."
)
MIN_MONTHS = 3


@dataclass(frozen=True)
class Forecast:
    point: Decimal
    low: Decimal
    high: Decimal
    probability_of_target: float | None
    months_remaining: float
    months_used: int
    method: str


def bootstrap_forecast(
    *,
    reached: Decimal,
    recent_months: list[Decimal],
    months_remaining: float,
    target: Decimal | None = None,
    window: int = 12,
    draws: int = 4000,
    seed: int = 20240805,
) -> Forecast | None:
    """``recent_months``: volumes of complete months, oldest first; the last ``window`` are used."""
    history = np.array([float(v) for v in recent_months[-window:]], dtype=float)
    method = METHOD.format(window=len(history), draws=draws)
    if len(history) < MIN_MONTHS:
        return None
    remaining = max(months_remaining, 0.0)
    whole, fraction = int(remaining), remaining - int(remaining)
    rng = np.random.default_rng(seed)
    sims = rng.choice(history, size=(draws, whole + 1), replace=True)
    sims[:, whole] *= fraction  # the part-month still to come
    totals = float(reached) + sims.sum(axis=1)
    low, point, high = np.percentile(totals, [10, 50, 90])
    probability = None if target is None else float(np.mean(totals >= float(target)))
    return Forecast(
        point=_yuan(point),
        low=_yuan(low),
        high=_yuan(high),
        probability_of_target=probability,
        months_remaining=round(remaining, 3),
        months_used=len(history),
        method=method,
    )


def _yuan(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")
