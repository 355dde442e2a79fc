"""Replenishment: (s, S) proposals for 100,000 SKU × warehouse pairs, computed at once by
`demand.replenishment.propose` (numpy over all pairs), in seconds and peak memory (traced
by tracemalloc in a second, untimed run).

Next to it, in the same process, a per-pair Python loop of the same arithmetic on a slice
(summing each pair's daily means and variances over its lead time, then s, S, MOQ, cartons
and the capacity cap one pair at a time); both must give the same quantities on the slice.

Synthetic world: 20,000 SKUs × 5 warehouses; each pair fed by one forecast series of 90
days (daily means lognormal around 5 units, 95% intervals ±60%), lead times 7–60 days,
service levels from the class table, positions 0–400, MOQ 0–500, cartons 1–48, capacity
caps 0–20,000 units.

    python benchmarks/replenishment.py [--pairs 100000] [--horizon 90] [--slice 2000]

The last line printed is one JSON object: pairs, seconds, pairs_per_s, peak_mib,
baseline_pairs_per_s, ratio, identical, proposed_share.
"""

from __future__ import annotations

import argparse
import json
import math
import time
import tracemalloc
from statistics import NormalDist

import numpy as np
import pandas as pd

from chuhai.demand import replenishment as rp


def world(
    pairs: int, horizon: int, seed: int = 7
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    uid = np.array([f"s{i}@M" for i in range(pairs)])
    means = rng.lognormal(np.log(5), 0.8, size=(pairs, horizon))
    half = 0.6 * means
    forecast = pd.DataFrame(
        {
            "unique_id": np.repeat(uid, horizon),
            "ds": np.tile(pd.date_range("2026-01-01", periods=horizon).to_numpy(), pairs),
            "mean": means.ravel(),
            "lo-95": (means - half).ravel(),
            "hi-95": (means + half).ravel(),
        }
    )
    classes = list(rp.SERVICE_LEVELS.values())
    table = pd.DataFrame(
        {
            "lead_days": rng.integers(7, 61, pairs),
            "service": rng.choice(classes, pairs),
            "position": rng.integers(0, 401, pairs),
            "moq": rng.choice([0, 50, 100, 200, 500], pairs),
            "carton": rng.choice([1, 6, 12, 24, 48], pairs),
            "cap": rng.integers(0, 20_001, pairs),
        }
    )
    feeds = pd.DataFrame({"pair": np.arange(pairs), "unique_id": uid, "share": 1.0})
    return table, feeds, forecast


def per_pair(table: pd.DataFrame, by_series: dict[str, pd.DataFrame], count: int) -> list[int]:
    """The same policy one pair at a time, in plain Python (each series' rows found for it
    beforehand, so the loop is timed, not the lookup)."""
    inverse = NormalDist().inv_cdf
    out = []
    for i in range(count):
        pair = table.iloc[i]
        g = by_series[f"s{i}@M"]
        means = list(g["mean"])
        sigmas = [(h - lo) / (2 * rp.Z95) for h, lo in zip(g["hi-95"], g["lo-95"], strict=True)]
        lead, horizon = int(pair["lead_days"]), len(means)
        mu = sum(means[: min(lead, horizon)]) + max(lead - horizon, 0) * sum(means) / horizon
        var = sum(s * s for s in sigmas[: min(lead, horizon)])
        var += max(lead - horizon, 0) * sum(s * s for s in sigmas) / horizon
        s = math.ceil(mu + inverse(float(pair["service"])) * math.sqrt(var) - 1e-9)
        big_s = s + math.ceil(rp.REVIEW_DAYS * sum(means) / horizon - 1e-9)
        position, moq, carton = int(pair["position"]), int(pair["moq"]), int(pair["carton"])
        raw = max(big_s - position, 0) if position <= s else 0
        q = max(raw, moq) if raw > 0 else 0
        q = -(-q // carton) * carton
        q = min(q, (int(pair["cap"]) // carton) * carton)
        out.append(q if q >= max(moq, 1) else 0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--horizon", type=int, default=90)
    parser.add_argument("--slice", type=int, default=2_000)
    args = parser.parse_args()
    table, feeds, forecast = world(args.pairs, args.horizon)

    start = time.perf_counter()
    result = rp.propose(table, feeds, forecast)
    seconds = time.perf_counter() - start
    tracemalloc.start()  # a second run, traced: tracing slows allocation, so not timed
    rp.propose(table, feeds, forecast)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(f"vectorised: {args.pairs:,} pairs in {seconds:.2f} s, peak {peak:,.0f} MiB")

    count = min(args.slice, args.pairs)
    series = {k: g for k, g in forecast.iloc[: count * args.horizon].groupby("unique_id")}
    start = time.perf_counter()
    looped = per_pair(table, series, count)
    loop_seconds = time.perf_counter() - start
    identical = looped == [int(q) for q in result["quantity"].iloc[:count]]
    print(f"per-pair loop: {count:,} pairs in {loop_seconds:.2f} s; same quantities: {identical}")
    print(
        json.dumps(
            {
                "pairs": args.pairs,
                "seconds": round(seconds, 3),
                "pairs_per_s": round(args.pairs / seconds),
                "peak_mib": round(peak, 1),
                "baseline_pairs_per_s": round(count / loop_seconds),
                "ratio": round((args.pairs / seconds) / (count / loop_seconds), 1),
                "identical": identical,
                "proposed_share": round(float((result["quantity"] > 0).mean()), 3),
            }
        )
    )


if __name__ == "__main__":
    main()
