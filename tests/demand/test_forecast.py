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


def _product_attributes(ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unique_id": ids,
            "StockCode": [u.split("|")[0] for u in ids],
            "Country": [u.split("|")[1] for u in ids],
        }
    )


def test_pooling_sets_a_product_level_split_by_country_share() -> None:
    # one lumpy order in FR moves the product's level, shared out by each country's units
    history = _history(["A|GB", "A|FR", "B|GB"], days=200)
    lump = (history["unique_id"] == "A|FR") & (history["ds"] == history["ds"].max())
    history.loc[lump, "y"] = 400.0
    ids = ["A|GB", "A|FR", "B|GB"]
    pooled = forecast_daily(history, 14, attributes=_product_attributes(ids))
    totals = pooled.groupby("unique_id")["mean"].sum()
    product_a = history[history["unique_id"].str.startswith("A|")].groupby("ds")["y"].sum()
    alone = forecast_daily(history, 14, attributes=_product_attributes(ids), pool=False)
    models_a = alone[alone["unique_id"].str.startswith("A|")]["mean"].sum()
    # two whole weeks (the weekday profile sums to 14): half the models' level, half the mean
    expected = 0.5 * models_a + 0.5 * 14 * product_a.iloc[-112:].mean()
    assert totals["A|GB"] + totals["A|FR"] == pytest.approx(expected)
    recent = history[history["ds"] > history["ds"].max() - pd.Timedelta(days=56)]
    share = recent.groupby("unique_id")["y"].sum()
    assert totals["A|GB"] / totals["A|FR"] == pytest.approx(share["A|GB"] / share["A|FR"])


def test_pool_by_names_the_key_and_a_missing_key_keeps_series_levels() -> None:
    history = _history(["A|GB", "A|FR"], days=150)
    attributes = _product_attributes(["A|GB", "A|FR"])
    by_country = forecast_daily(history, 7, attributes=attributes, pool_by="Country")
    unpooled = forecast_daily(history, 7, attributes=attributes, pool=False)
    missing = forecast_daily(history, 7, attributes=attributes, pool_by="Colour")
    pd.testing.assert_frame_equal(missing, unpooled)
    assert (by_country["mean"] >= 0).all() and len(by_country) == 14


def test_pooled_awkward_series_stay_finite() -> None:
    gap = _history(["A|GB"], 200)
    gap = gap[(gap["ds"] < "2024-02-01") | (gap["ds"] > "2024-06-01")]
    single = pd.DataFrame({"unique_id": ["A|FR"], "ds": [pd.Timestamp("2024-07-10")], "y": [5.0]})
    zeros = _history(["B|GB"], 120).assign(y=0.0)
    history = pd.concat([gap, single, zeros])
    out = forecast_daily(
        history, 10, attributes=_product_attributes(["A|GB", "A|FR", "B|GB", "A|DE"])
    )
    assert set(out["unique_id"]) == {"A|GB", "A|FR", "B|GB", "A|DE"}
    assert np.isfinite(out[["mean", "hi-95"]]).all().all() and (out["mean"] >= 0).all()
    assert out.loc[out["unique_id"] == "B|GB", "hi-95"].max() == 0
    assert out.loc[out["unique_id"] == "A|DE", "mean"].gt(0).all()


def test_a_december_item_climbs_towards_its_december_rate() -> None:
    # history from 1 December; the item sold 10/day then, 1/day since: it rises into autumn
    ds = pd.date_range("2023-12-01", "2024-08-18", freq="D")
    y = np.where(ds < "2023-12-29", 10.0, 1.0)
    history = pd.DataFrame({"unique_id": "X|GB", "ds": ds, "y": y})
    out = forecast_daily(history, 56, attributes=_product_attributes(["X|GB"]))
    weekly = out.set_index("ds")["mean"].resample("W").sum()
    assert weekly.iloc[-2] > weekly.iloc[1] > 0
