#!/usr/bin/env python
"""Benchmark of the pool what-if simulator (issue 20, item 5) against the plain way to write it.

    .venv/bin/python bench/bench_pool_simulator.py [--loans 10000] [--scenarios 100000] [--baseline-scenarios 5000]

Loans with PDs spread like a scored queue (lognormal around 3%) and losses given default of 10万-300万.

- ours: ``portfolio.simulate_losses`` (exact per loan by thinning: only the loans drawn as candidates under
  their PD bucket's top conditional PD are looked at, about Σ PD of them per scenario) on all
  ``--scenarios``, and on the baseline's scenarios for the ratio;
- baseline: the textbook loop a risk analyst writes: per scenario, the conditional PD of every loan
  ``Φ((Φ⁻¹(PD) − √ρ·Z)/√(1−ρ))`` and a uniform per loan in float64, on ``--baseline-scenarios``.

Both on the same loans; BLAS on one thread (``threadpool_limits(1)``); ours spreads its blocks over
``portfolio.THREADS`` Python threads (min(CPUs, 4)), the baseline loop runs on one. The ratio is ours ÷
baseline on the same scenarios.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from scipy.special import ndtr, ndtri
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tongzhirong.risksharing.portfolio import DEFAULT_CORRELATION, THREADS, simulate_losses


def baseline(pd: np.ndarray, lgd: np.ndarray, *, rho: float, scenarios: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    losses = np.empty(scenarios)
    for s in range(scenarios):
        z = rng.standard_normal()
        conditional = ndtr((ndtri(pd) - np.sqrt(rho) * z) / np.sqrt(1 - rho))
        losses[s] = lgd[rng.random(len(pd)) < conditional].sum()
    return losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loans", type=int, default=10_000)
    parser.add_argument("--scenarios", type=int, default=100_000)
    parser.add_argument("--baseline-scenarios", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=20261207)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    pd = np.clip(np.exp(rng.normal(np.log(0.03), 0.8, args.loans)), 1e-4, 0.6)
    lgd = rng.uniform(100_000, 3_000_000, args.loans)
    rho = DEFAULT_CORRELATION
    with threadpool_limits(1):
        start = time.perf_counter()
        base = baseline(pd, lgd, rho=rho, scenarios=args.baseline_scenarios, seed=1)
        base_seconds = time.perf_counter() - start
        start = time.perf_counter()
        ours_small = simulate_losses(pd, lgd, rho=rho, scenarios=args.baseline_scenarios, seed=1)
        small_seconds = time.perf_counter() - start
        start = time.perf_counter()
        ours = simulate_losses(pd, lgd, rho=rho, scenarios=args.scenarios, seed=2)
        ours_seconds = time.perf_counter() - start
    expected = float((pd * lgd).sum())
    result = {
        "loans": args.loans,
        "scenarios": args.scenarios,
        "baseline_scenarios": args.baseline_scenarios,
        "ours_seconds": round(ours_seconds, 2),
        "ours_seconds_on_baseline_scenarios": round(small_seconds, 3),
        "baseline_seconds": round(base_seconds, 2),
        "ratio_ours_to_baseline": round(small_seconds / base_seconds, 3),
        "ours_loan_scenarios_per_second": round(args.loans * args.scenarios / ours_seconds),
        "expected_loss_exact": round(expected),
        "expected_loss_ours": round(float(ours.mean())),
        "expected_loss_baseline": round(float(base.mean())),
        "expected_loss_ours_on_baseline_scenarios": round(float(ours_small.mean())),
        "quantile_99_ours": round(float(np.quantile(ours, 0.99))),
        "cpus": os.cpu_count(),
        "threads": THREADS,
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    print(f"ours {ours_seconds:.2f} s for {args.loans:,} loans × {args.scenarios:,} scenarios")
    print(
        f"same {args.baseline_scenarios:,} scenarios: ours {small_seconds:.3f} s, baseline {base_seconds:.2f} s, "
        f"ratio {result['ratio_ours_to_baseline']}"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
