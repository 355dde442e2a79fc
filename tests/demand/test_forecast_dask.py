"""On a real dask.distributed LocalCluster (2 workers, threads: processes=False) the forecast
equals the local run."""

from __future__ import annotations

import numpy as np
import pandas as pd

from chuhai.demand.forecast import forecast_daily


def test_local_cluster_gives_the_local_numbers() -> None:
    from dask.distributed import Client, LocalCluster

    rng = np.random.default_rng(7)
    ds = pd.date_range("2024-01-01", periods=150, freq="D")
    history = pd.concat(
        [
            pd.DataFrame(
                {"unique_id": f"S{i}", "ds": ds, "y": rng.poisson(2 + i, 150).astype(float)}
            )
            for i in range(6)
        ],
        ignore_index=True,
    )
    # two products of three markets each, so the pooled layer runs on the cluster's output too
    attributes = pd.DataFrame({"unique_id": [f"S{i}" for i in range(6)], "product": ["P", "Q"] * 3})
    local = forecast_daily(history, 14, attributes=attributes)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        remote = forecast_daily(history, 14, attributes=attributes, dask_client=client)
    pd.testing.assert_frame_equal(local, remote, check_dtype=False)
