"""Stored forecasts: the forecaster run over the platform's order history (every SKU × market
series, `signals.history_frame`), kept per run so that planners can read what a
replenishment run rested on, series by series, with its intervals.

A history shorter than `MIN_MODEL_DAYS` has too little to fit a model to (nor a weekly
pattern to see): its forecast is each series' trailing mean with the empirical range of its
days (`trailing_forecast`), and the run says so in its method.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from chuhai.core.context import Context
from chuhai.core.errors import NotFound, ValidationFailed
from chuhai.core.ids import new_id
from chuhai.core.pagination import Page, paginate
from chuhai.demand import signals
from chuhai.demand.tables import ForecastRunRow, ForecastSeriesRow

if TYPE_CHECKING:
    import pandas as pd

MIN_MODEL_DAYS = 28
Z95 = 1.959963984540054  # the standard normal's 97.5% quantile
MAX_HORIZON = 366
COLUMNS = ("mean", "lo-80", "hi-80", "lo-95", "hi-95")


def trailing_forecast(history: pd.DataFrame, horizon: int, window: int = 28) -> pd.DataFrame:
    """Each series' mean over its last `window` days, flat over the horizon, with the
    empirical 2.5%–97.5% and 10%–90% ranges of those days as its 95% and 80% intervals."""
    import numpy as np
    import pandas as pd

    if history.empty:
        return pd.DataFrame(columns=["unique_id", "ds", *COLUMNS])
    recent = history.sort_values("ds").groupby("unique_id").tail(window)
    grouped = recent.groupby("unique_id")["y"]
    stats = pd.DataFrame(
        {
            "mean": grouped.mean(),
            "lo-80": grouped.quantile(0.10),
            "hi-80": grouped.quantile(0.90),
            "lo-95": grouped.quantile(0.025),
            "hi-95": grouped.quantile(0.975),
            "last": recent.groupby("unique_id")["ds"].max(),
        }
    )
    days = np.arange(1, horizon + 1).astype("timedelta64[D]")
    frame = stats.loc[stats.index.repeat(horizon)].reset_index()
    frame["ds"] = frame["last"].to_numpy() + np.tile(days, len(stats))
    return frame[["unique_id", "ds", *COLUMNS]]


def forecast_history(history: pd.DataFrame, horizon: int) -> tuple[pd.DataFrame, str]:
    """The forecaster's forecast of a history frame, and the method that made it."""
    from chuhai.demand.forecast import forecast_daily

    if history.empty:
        return trailing_forecast(history, horizon), "none"
    days = history["ds"].max() - history["ds"].min()
    if days.days + 1 < MIN_MODEL_DAYS:
        return trailing_forecast(history, horizon), "trailing_28d"
    # a SKU's markets pool their level (forecast.py): one market's lumpy order is not a trend
    attributes = history[["unique_id", "sku_id", "market_code"]].drop_duplicates("unique_id")
    frame = forecast_daily(
        history[["unique_id", "ds", "y"]],
        horizon,
        levels=(80, 95),
        attributes=attributes,
        pool_by="sku_id",
    )
    return frame, "forecast_daily"


def run(ctx: Context, horizon: int = 90) -> tuple[ForecastRunRow, pd.DataFrame]:
    """Forecast every series with order history to yesterday (today is not over: its
    count so far would read as a slow day) and store the run; returns the run and the
    forecast's frame, which starts today."""
    ctx.actor.require("forecasts.run")
    if isinstance(horizon, bool) or not isinstance(horizon, int) or not 1 <= horizon <= MAX_HORIZON:
        raise ValidationFailed.one("horizon", f"a whole number of days from 1 to {MAX_HORIZON}")
    history = signals.history_frame(ctx.session, end=ctx.now().date() - timedelta(days=1))
    frame, method = forecast_history(history, horizon)
    return store(ctx, frame, method, horizon), frame


def store(ctx: Context, frame: pd.DataFrame, method: str, horizon: int) -> ForecastRunRow:
    import pandas as pd

    first = pd.Timestamp(frame["ds"].min()).date() if len(frame) else ctx.now().date()
    row = ForecastRunRow(
        id=new_id("fcr"),
        method=method,
        first_day=first,
        horizon=horizon,
        series=int(frame["unique_id"].nunique()) if len(frame) else 0,
        created_by=ctx.actor.user_id,
        created_at=ctx.now(),
    )
    ctx.session.add(row)
    ctx.session.flush()
    ordered = frame.sort_values(["unique_id", "ds"])
    for uid, days in ordered.groupby("unique_id", sort=True):
        sku_id, market = str(uid).rsplit("@", 1)
        values = {c: [round(float(v), 2) for v in days[c].clip(lower=0)] for c in COLUMNS}
        ctx.session.add(
            ForecastSeriesRow(
                run_id=row.id,
                sku_id=sku_id,
                market_code=market,
                total=round(sum(values["mean"]), 2),
                mean=values["mean"],
                lo_80=values["lo-80"],
                hi_80=values["hi-80"],
                lo_95=values["lo-95"],
                hi_95=values["hi-95"],
            )
        )
    ctx.session.flush()
    return row


def list_runs(ctx: Context, limit: int = 20) -> list[ForecastRunRow]:
    ctx.actor.require("forecasts.read")
    query = select(ForecastRunRow).order_by(
        ForecastRunRow.created_at.desc(), ForecastRunRow.id.desc()
    )
    return list(ctx.session.scalars(query.limit(limit)))


def get_run(ctx: Context, run_id: str) -> ForecastRunRow:
    ctx.actor.require("forecasts.read")
    row = ctx.session.get(ForecastRunRow, run_id)
    if row is None:
        raise NotFound(f"no forecast run {run_id!r}")
    return row


def series_page(
    ctx: Context,
    run_id: str,
    *,
    sku_id: str | None = None,
    market_code: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[ForecastSeriesRow]:
    """A run's series, the largest forecast first."""
    get_run(ctx, run_id)
    query = select(ForecastSeriesRow).where(ForecastSeriesRow.run_id == run_id)
    if sku_id:
        query = query.where(ForecastSeriesRow.sku_id == sku_id)
    if market_code:
        query = query.where(ForecastSeriesRow.market_code == market_code.upper())
    query = query.order_by(
        ForecastSeriesRow.total.desc(), ForecastSeriesRow.sku_id, ForecastSeriesRow.market_code
    )
    return paginate(ctx.session, query, limit, offset)


def one_series(ctx: Context, run_id: str, sku_id: str, market_code: str) -> ForecastSeriesRow:
    get_run(ctx, run_id)
    row = ctx.session.get(ForecastSeriesRow, (run_id, sku_id, market_code.upper()))
    if row is None:
        raise NotFound(f"run {run_id} has no forecast for {sku_id} in {market_code}")
    return row


def window_total(row: ForecastSeriesRow, days: int) -> dict[str, float]:
    """The mean total over the first `days` days and its 95% range, reading each day's
    interval as normal and the days as independent (as replenishment does)."""
    mean = sum(row.mean[:days])
    spread = sum(
        ((hi - lo) / (2 * Z95)) ** 2
        for lo, hi in zip(row.lo_95[:days], row.hi_95[:days], strict=True)
    )
    sigma = math.sqrt(spread)
    return {
        "mean": round(mean, 1),
        "low": round(max(mean - Z95 * sigma, 0.0), 1),
        "high": round(mean + Z95 * sigma, 1),
    }
