"""The platform's daily demand forecaster (issue 6, section 2).

Per series, statsforecast's intermittent-demand and smoothing models are scored by
rolling-origin cross-validation on the error of the horizon total (what a stock-up order
depends on) and the best one is kept. The level is then pooled: each series' forecast is
rescaled so that the sum over all series follows a trended, weekly-seasonal AutoETS fitted
to the aggregate (a trend that single intermittent series cannot show). Series with no
history are forecast from the mean of their group (attributes' columns, first that matches).
Intervals come from each series' recent day-to-day spread around its level.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

CANDIDATES = ("ADIDA", "IMAPA", "CrostonOptimized", "WindowAverage")
SPREAD_WINDOW = 56


def _candidate_models(season: int = 7) -> list[Any]:
    from statsforecast.models import ADIDA, IMAPA, CrostonOptimized, WindowAverage

    return [ADIDA(), IMAPA(), CrostonOptimized(), WindowAverage(window_size=4 * season)]


def _run(frame: Any, horizon: int, dask_client: Any | None, cv_windows: int) -> tuple[Any, Any]:
    """Cross-validation and forecast with statsforecast, locally or through fugue on Dask."""
    from statsforecast import StatsForecast

    sf = StatsForecast(models=_candidate_models(), freq="D", n_jobs=1)
    if dask_client is not None and isinstance(frame, pd.DataFrame):
        import dask.dataframe as dd

        workers = max(1, len(dask_client.scheduler_info().get("workers", {})))
        frame = dd.from_pandas(frame, npartitions=workers)
    cv_h = min(horizon, 28)
    cv = sf.cross_validation(df=frame, h=cv_h, n_windows=cv_windows, step_size=cv_h)
    fc = sf.forecast(df=frame, h=horizon)
    if not isinstance(cv, pd.DataFrame):
        cv, fc = cv.compute(), fc.compute()
    return cv, fc


def _choose_per_series(cv: pd.DataFrame) -> pd.Series:
    """Per series, the candidate with the smallest absolute error of its window totals."""
    totals = cv.groupby(["unique_id", "cutoff"])[["y", *CANDIDATES]].sum()
    errors = pd.DataFrame({m: (totals[m] - totals["y"]).abs() for m in CANDIDATES})
    return errors.groupby(level="unique_id").mean().idxmin(axis=1)


def _aggregate_factor(history: pd.DataFrame, base: pd.DataFrame, horizon: int) -> pd.Series:
    """Per day of the horizon: aggregate trended forecast / sum of the per-series forecasts."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    total = history.groupby("ds", as_index=False)["y"].sum().assign(unique_id="total")
    sf = StatsForecast(models=[AutoETS(season_length=7, model="ZZZ", damped=True)], freq="D")
    agg = sf.forecast(df=total[["unique_id", "ds", "y"]], h=horizon).set_index("ds")["AutoETS"]
    base_total = base.groupby("ds")["mean"].sum()
    ratio = agg.clip(lower=0).sum() / max(float(base_total.sum()), 1e-9)
    return pd.Series(ratio, index=base_total.index)


def _intervals(history: pd.DataFrame, out: pd.DataFrame, levels: Sequence[int]) -> pd.DataFrame:
    recent = history.groupby("unique_id").tail(SPREAD_WINDOW).groupby("unique_id")["y"]
    spread = recent.std(ddof=0).fillna(0.0) / recent.mean().clip(lower=1e-9)
    cv_coef = out["unique_id"].map(spread).fillna(float(spread.median()) if len(spread) else 1.0)
    sigma = out["mean"] * cv_coef
    for level in sorted(levels):
        z = float(norm.ppf(0.5 + level / 200))
        out[f"lo-{level}"] = (out["mean"] - z * sigma).clip(lower=0.0)
        out[f"hi-{level}"] = out["mean"] + z * sigma
    return out


def _cold_start(
    forecast: pd.DataFrame, attributes: pd.DataFrame | None, horizon_days: pd.DatetimeIndex
) -> pd.DataFrame:
    if attributes is None or forecast.empty:
        return forecast
    attrs = attributes.drop_duplicates("unique_id").set_index("unique_id")
    attrs.index = attrs.index.astype(str)
    known = set(forecast["unique_id"])
    new_ids = [u for u in attrs.index if u not in known]
    if not new_ids:
        return forecast
    per_series = forecast.pivot(index="unique_id", columns="ds", values="mean")
    rows = []
    for uid in new_ids:
        profile = per_series.mean(axis=0)  # the whole platform, when no group matches
        for col in attrs.columns:
            peers = attrs.index[
                (attrs[col] == attrs.at[uid, col]) & attrs.index.isin(per_series.index)
            ]
            if len(peers):
                profile = per_series.loc[peers].mean(axis=0)
                break
        rows.append(
            pd.DataFrame({"unique_id": uid, "ds": horizon_days, "mean": profile.to_numpy()})
        )
    return pd.concat([forecast, *rows], ignore_index=True)


def _validate(history: pd.DataFrame, horizon: int) -> None:
    missing = {"unique_id", "ds", "y"} - set(history.columns)
    if missing:
        raise ValueError(f"history lacks the columns {', '.join(sorted(missing))}")
    if horizon <= 0:
        raise ValueError("horizon must be a positive number of days")
    if (history["y"] < 0).any():
        raise ValueError("history has negative units")


def _densify(history: pd.DataFrame) -> pd.DataFrame:
    """Dense daily grid per series up to the common last day; gaps of any length are zeros."""
    frame = history[["unique_id", "ds", "y"]].copy()
    frame["unique_id"] = frame["unique_id"].astype(str)
    frame["ds"] = pd.to_datetime(frame["ds"])
    frame = frame.groupby(["unique_id", "ds"], as_index=False)["y"].sum()
    end = frame["ds"].max()
    firsts = frame.groupby("unique_id")["ds"].min()
    index = pd.MultiIndex.from_tuples(
        [(u, d) for u, start in firsts.items() for d in pd.date_range(start, end, freq="D")],
        names=["unique_id", "ds"],
    )
    dense = frame.set_index(["unique_id", "ds"]).reindex(index, fill_value=0.0).reset_index()
    dense["y"] = dense["y"].astype(float)
    return dense


def forecast_daily(
    history: pd.DataFrame,
    horizon: int,
    levels: Sequence[int] = (80, 95),
    *,
    attributes: pd.DataFrame | None = None,
    dask_client: Any | None = None,
    pool: bool = True,
    cv_windows: int = 2,
) -> pd.DataFrame:
    """Daily forecasts per series: unique_id, ds, mean, lo-<level>, hi-<level> (all ≥ 0)."""
    _validate(history, horizon)
    dense = _densify(history)
    last = dense["ds"].max()
    horizon_days = pd.date_range(last + pd.Timedelta(days=1), periods=horizon, freq="D")
    lengths = dense.groupby("unique_id").size()
    # cross-validation needs room for its windows; short series take the window average
    long_ids = lengths.index[lengths >= 2 * min(horizon, 28) * cv_windows + 7]
    long_frame = dense[dense["unique_id"].isin(long_ids)]
    base = _base_forecast(long_frame, horizon, dask_client, cv_windows)
    short = dense[~dense["unique_id"].isin(long_ids)]
    if not short.empty:
        level = short.groupby("unique_id")["y"].mean()
        base = pd.concat(
            [
                base,
                pd.DataFrame(
                    [(u, d, v) for u, v in level.items() for d in horizon_days],
                    columns=["unique_id", "ds", "mean"],
                ),
            ],
            ignore_index=True,
        )
    if pool and not base.empty and len(lengths) > 1:
        factor = _aggregate_factor(dense, base, horizon)
        base["mean"] = base["mean"] * base["ds"].map(factor).fillna(1.0)
    base["mean"] = base["mean"].clip(lower=0.0)
    out = _cold_start(base, attributes, horizon_days)
    out = _intervals(dense, out, levels)
    return out.sort_values(["unique_id", "ds"]).reset_index(drop=True)


def _base_forecast(
    frame: pd.DataFrame, horizon: int, dask_client: Any | None, cv_windows: int
) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(columns=["unique_id", "ds", "mean"])
    cv, fc = _run(frame, horizon, dask_client, cv_windows)
    choice = _choose_per_series(cv)
    fc = fc.reset_index() if "unique_id" not in fc.columns else fc
    fc["unique_id"] = fc["unique_id"].astype(str)
    picked = fc["unique_id"].map(choice).fillna("WindowAverage")
    values = fc[list(CANDIDATES)].to_numpy()
    column = picked.map({m: i for i, m in enumerate(CANDIDATES)}).to_numpy()
    fc["mean"] = values[np.arange(len(fc)), column]
    return fc[["unique_id", "ds", "mean"]]
