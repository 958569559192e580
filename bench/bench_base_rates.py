"""Issue 20, item 1: the scorecard (and optionally the challenger) against the plain one-hot logistic
regression on the synthetic base-rate variants of tests/scoring/test_base_rates.py, over many seeds.

For each seed and base rate: the variant (4,000 loans, two noise columns, a tenth of every third column
blank), three stratified folds (seed 42), out-of-fold PDs pooled. Prints per seed the AUC gap
(model − reference; the criterion is ≥ −0.005), the DeLong paired SE of that gap over the same rows and the gap
in SEs (z: within ±1.96 the gap is the luck of the rows), the ratio model AUC ÷ reference AUC, and the ECE
(≤ 0.03); then per base rate the mean and the worst seed (gap and z), the seeds below −0.005 and below −1.96
SE, and a final JSON line (``auc_ratio``: mean AUC ÷ the reference's, the baseline fitted in the same folds of
the same run).

    .venv/bin/python bench/bench_base_rates.py                      # scorecard, seeds 1..10
    .venv/bin/python bench/bench_base_rates.py --kinds scorecard gbm --seeds 1 2 3
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from threadpoolctl import threadpool_limits

from scoring.ml.train import compare_in_folds
from tests.scoring.test_base_rates import messy_variant

RATES = (0.02, 0.10, 0.30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kinds", nargs="+", default=["scorecard"])
    parser.add_argument("--seeds", nargs="+", type=int, default=list(range(1, 11)))
    parser.add_argument("--rates", nargs="+", type=float, default=list(RATES))
    args = parser.parse_args()
    kinds = tuple(args.kinds)
    rows = []
    started = time.perf_counter()
    print(f"{'rate':>5} {'seed':>4} {'bads':>5} {'ref auc':>8} {'ref ece':>8}", end="")
    for kind in kinds:
        print(f" | {kind[:9]:>9} {'gap':>7} {'se':>6} {'z':>5} {'ratio':>7} {'ece':>7}", end="")
    print(f" | {'s':>5}")
    for rate in args.rates:
        for seed in args.seeds:
            t0 = time.perf_counter()
            X, y = messy_variant(rate, seed=seed)
            with threadpool_limits(1):
                metrics = compare_in_folds(X, y, (*kinds, "reference"), folds=3, seed=42)
            ref = metrics["reference"]
            row = {"rate": rate, "seed": seed, "ref_auc": ref["auc"], "ref_ece": ref["ece"]}
            print(f"{rate:>5.0%} {seed:>4} {int(y.sum()):>5} {ref['auc']:>8.4f} {ref['ece']:>8.4f}", end="")
            for kind in kinds:
                m = metrics[kind]
                gap, ratio = m["auc"] - ref["auc"], m["auc"] / ref["auc"]
                se, z = m["versus_reference"]["se"], m["versus_reference"]["z"]
                row |= {f"{kind}_gap": gap, f"{kind}_ratio": ratio, f"{kind}_ece": m["ece"], f"{kind}_z": z}
                print(f" | {m['auc']:>9.4f} {gap:>+7.4f} {se:>6.4f} {z:>+5.2f} {ratio:>7.4f} {m['ece']:>7.4f}", end="")
            print(f" | {time.perf_counter() - t0:>5.1f}", flush=True)
            rows.append(row)
    print()
    for kind in kinds:
        print(f"{kind}: per base rate over seeds {args.seeds[0]}..{args.seeds[-1]}")
        print(
            f"{'rate':>5} {'mean gap':>9} {'min gap':>9} {'worst seed':>10} {'mean ratio':>10} "
            f"{'min ratio':>9} {'mean ece':>9} {'max ece':>8} {'fails':>5} {'mean z':>6} {'min z':>6} {'z<-1.96':>7}"
        )
        for rate in args.rates:
            these = [r for r in rows if r["rate"] == rate]
            gaps = np.array([r[f"{kind}_gap"] for r in these])
            ratios = np.array([r[f"{kind}_ratio"] for r in these])
            eces = np.array([r[f"{kind}_ece"] for r in these])
            zs = np.array([r[f"{kind}_z"] for r in these])
            fails = int(((gaps < -0.005) | (eces > 0.03)).sum())
            worst = these[int(np.argmin(gaps))]["seed"]
            print(
                f"{rate:>5.0%} {gaps.mean():>+9.4f} {gaps.min():>+9.4f} {worst:>10} {ratios.mean():>10.4f} "
                f"{ratios.min():>9.4f} {eces.mean():>9.4f} {eces.max():>8.4f} {fails:>5} "
                f"{zs.mean():>+6.2f} {zs.min():>+6.2f} {int((zs < -1.96).sum()):>7}"
            )
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    summary = {
        kind: {
            f"{rate:.0%}": {
                "mean_gap": round(float(np.mean([r[f"{kind}_gap"] for r in rows if r["rate"] == rate])), 4),
                "min_gap": round(float(np.min([r[f"{kind}_gap"] for r in rows if r["rate"] == rate])), 4),
                "auc_ratio": round(float(np.mean([r[f"{kind}_ratio"] for r in rows if r["rate"] == rate])), 4),
                "max_ece": round(float(np.max([r[f"{kind}_ece"] for r in rows if r["rate"] == rate])), 4),
                "min_z": round(float(np.min([r[f"{kind}_z"] for r in rows if r["rate"] == rate])), 2),
            }
            for rate in args.rates
        }
        for kind in kinds
    }
    print(json.dumps({"bench": "base_rates", "seeds": args.seeds, **summary}))


if __name__ == "__main__":
    main()
