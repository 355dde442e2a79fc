"""Series per second of forecast_daily on N synthetic SKU × market series of 2 years,
locally and on a dask.distributed LocalCluster, with peak memory (RSS of this process)."""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from chuhai.demand.forecast import forecast_daily


def synthetic(series: int, days: int = 730, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2023-01-01", periods=days, freq="D")
    rates = rng.gamma(0.6, 2.0, series)
    weekly = 1 + 0.3 * np.sin(2 * np.pi * np.arange(days) / 7)
    y = rng.poisson(np.outer(rates, weekly)).astype(float)
    return pd.DataFrame(
        {
            "unique_id": np.repeat([f"SKU{i}|M{i % 20}" for i in range(series)], days),
            "ds": np.tile(ds, series),
            "y": y.ravel(),
        }
    )


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--series", type=int, default=50_000)
    parser.add_argument("--horizon", type=int, default=28)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    history = synthetic(args.series)
    started = time.perf_counter()
    forecast_daily(history, args.horizon)
    local = time.perf_counter() - started
    print(
        f"local: {args.series} series in {local:.1f} s = {args.series / local:.0f} series/s, "
        f"peak {peak_mib():.0f} MiB"
    )
    from dask.distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=args.workers, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        started = time.perf_counter()
        forecast_daily(history, args.horizon, dask_client=client)
        remote = time.perf_counter() - started
        workers = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(
        f"LocalCluster ({args.workers} worker processes): "
        f"{args.series / remote:.0f} series/s in {remote:.1f} s, "
        f"peak driver {peak_mib():.0f} MiB, workers {max(workers.values()):.0f} MiB"
    )


if __name__ == "__main__":
    main()
