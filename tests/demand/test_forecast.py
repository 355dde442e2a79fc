"""forecast_daily: shape, ordered non-negative intervals, cold start, awkward series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chuhai.demand.forecast import forecast_daily


def _history(ids: list[str], days: int = 120, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2024-01-01", periods=days, freq="D")
    return pd.concat(
        [
            pd.DataFrame({"unique_id": u, "ds": ds, "y": rng.poisson(3, days).astype(float)})
            for u in ids
        ],
        ignore_index=True,
    )


def test_shape_and_intervals_are_ordered_and_non_negative() -> None:
    out = forecast_daily(_history(["A|GB", "B|GB", "A|FR"]), 14)
    assert list(out.columns) == ["unique_id", "ds", "mean", "lo-80", "hi-80", "lo-95", "hi-95"]
    assert len(out) == 3 * 14
    assert (out["lo-95"] <= out["lo-80"]).all() and (out["lo-80"] <= out["mean"]).all()
    assert (out["mean"] <= out["hi-80"]).all() and (out["hi-80"] <= out["hi-95"]).all()
    assert (out[["mean", "lo-80", "lo-95"]] >= 0).all().all()
    assert out["ds"].min() == pd.Timestamp("2024-04-30")


def test_a_new_series_is_forecast_from_its_group() -> None:
    attributes = pd.DataFrame(
        {
            "unique_id": ["A|GB", "A|FR", "A|DE"],
            "StockCode": ["A", "A", "A"],
            "Country": ["GB", "FR", "DE"],
        }
    )
    out = forecast_daily(_history(["A|GB", "A|FR"]), 7, attributes=attributes)
    new = out[out["unique_id"] == "A|DE"]
    assert len(new) == 7 and new["mean"].gt(0).all()
    peers = out[out["unique_id"] != "A|DE"].groupby("ds")["mean"].mean()
    assert np.allclose(new.set_index("ds")["mean"], peers)


def test_single_observation_all_zeros_and_a_gap_of_months() -> None:
    gap = _history(["GAP"], 200)
    gap = gap[(gap["ds"] < "2024-02-01") | (gap["ds"] > "2024-06-01")]  # months missing: zeros
    single = pd.DataFrame({"unique_id": ["ONE"], "ds": [pd.Timestamp("2024-07-10")], "y": [5.0]})
    zeros = _history(["ZERO"], 120).assign(y=0.0)
    out = forecast_daily(pd.concat([gap, single, zeros]), 10)
    assert set(out["unique_id"]) == {"GAP", "ONE", "ZERO"}
    assert np.isfinite(out["mean"]).all() and (out["mean"] >= 0).all()
    assert out.loc[out["unique_id"] == "ZERO", "hi-95"].max() == 0


@pytest.mark.parametrize(
    ("history", "horizon", "message"),
    [
        (
            pd.DataFrame({"unique_id": ["A"], "ds": [pd.Timestamp("2024-01-01")]}),
            5,
            "lacks the columns y",
        ),
        (
            pd.DataFrame({"unique_id": ["A"], "ds": [pd.Timestamp("2024-01-01")], "y": [1.0]}),
            0,
            "horizon",
        ),
        (
            pd.DataFrame({"unique_id": ["A"], "ds": [pd.Timestamp("2024-01-01")], "y": [-1.0]}),
            5,
            "negative",
        ),
    ],
)
def test_bad_input_is_refused(history: pd.DataFrame, horizon: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        forecast_daily(history, horizon)
