"""Backtest of the forecaster on a transactions file (issue 6's definitions).

units = sum of positive quantities on invoices not starting with C, per StockCode × Country
and day; series = those with at least 20 selling days before the cutoff, on a dense daily
grid from their first sale; forecasts clipped at zero; baselines are statsforecast's
seasonal naive (season 7), AutoETS (season 7) and ADIDA, run in the same process.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from chuhai.demand.forecast import forecast_daily
from chuhai.demand.metrics import mase_wape_by_group, score

REQUIRED_COLUMNS = ("InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "Country")
MIN_SELLING_DAYS = 20


class BacktestError(ValueError):
    """A backtest that cannot run; the message is one plain sentence for the user."""


@dataclass(frozen=True)
class Split:
    train: pd.DataFrame
    actual: pd.DataFrame
    attributes: pd.DataFrame


def read_transactions(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise BacktestError(f"{path} does not exist or is not a file.")
    try:
        frame = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str, "Country": str})
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise BacktestError(f"{path} could not be read as a transactions CSV: {exc}.") from exc
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise BacktestError(f"{path} lacks the columns {', '.join(missing)}.")
    frame["InvoiceDate"] = pd.to_datetime(frame["InvoiceDate"], errors="coerce")
    frame["Quantity"] = pd.to_numeric(frame["Quantity"], errors="coerce")
    return frame.dropna(subset=["InvoiceDate", "Quantity"])


def daily_units(transactions: pd.DataFrame) -> pd.DataFrame:
    sales = transactions[
        ~transactions["InvoiceNo"].astype(str).str.startswith("C") & (transactions["Quantity"] > 0)
    ]
    units = sales.assign(
        unique_id=sales["StockCode"].astype(str) + "|" + sales["Country"].astype(str),
        ds=sales["InvoiceDate"].dt.normalize(),
    )
    daily = units.groupby(["unique_id", "ds"], as_index=False)["Quantity"].sum()
    return daily.rename(columns={"Quantity": "y"}).assign(y=lambda d: d["y"].astype(float))


def _dense(
    daily: pd.DataFrame, start_of: pd.Series, end: pd.Timestamp, begin: pd.Timestamp | None
) -> pd.DataFrame:
    frames = []
    for uid, first in start_of.items():
        days = pd.date_range(first if begin is None else begin, end, freq="D")
        frames.append(pd.DataFrame({"unique_id": uid, "ds": days}))
    grid = pd.concat(frames, ignore_index=True)
    merged = grid.merge(daily, on=["unique_id", "ds"], how="left")
    merged["y"] = merged["y"].fillna(0.0)
    return merged


def split(transactions: pd.DataFrame, cutoff: pd.Timestamp, horizon: int) -> Split:
    first_day = transactions["InvoiceDate"].min().normalize()
    last_day = transactions["InvoiceDate"].max().normalize()
    if horizon <= 0:
        raise BacktestError("The horizon must be a positive number of days.")
    if not first_day < cutoff <= last_day:
        raise BacktestError(
            f"The cutoff {cutoff.date()} is outside the data, which runs from "
            f"{first_day.date()} to {last_day.date()}."
        )
    horizon_end = cutoff + pd.Timedelta(days=horizon - 1)
    if horizon_end > last_day:
        raise BacktestError(
            f"A horizon of {horizon} days from {cutoff.date()} runs past "
            f"the data's last day, {last_day.date()}."
        )
    daily = daily_units(transactions)
    before = daily[daily["ds"] < cutoff]
    selling_days = before.groupby("unique_id")["ds"].nunique()
    kept = selling_days.index[selling_days >= MIN_SELLING_DAYS]
    if kept.empty:
        raise BacktestError(
            f"No StockCode × Country has {MIN_SELLING_DAYS} selling days before {cutoff.date()}."
        )
    firsts = before[before["unique_id"].isin(kept)].groupby("unique_id")["ds"].min()
    train = _dense(before, firsts, cutoff - pd.Timedelta(days=1), None)
    after = daily[(daily["ds"] >= cutoff) & (daily["ds"] <= horizon_end)]
    actual = _dense(after, firsts, horizon_end, cutoff)
    parts = pd.Series(kept, index=kept).str.split("|", n=1, expand=True)
    attributes = pd.DataFrame(
        {"unique_id": kept, "StockCode": parts[0].to_numpy(), "Country": parts[1].to_numpy()}
    )
    return Split(train=train, actual=actual, attributes=attributes)


def _baselines(train: pd.DataFrame, horizon: int) -> dict[str, tuple[pd.DataFrame, float]]:
    from statsforecast import StatsForecast
    from statsforecast.models import ADIDA, AutoETS, SeasonalNaive

    out: dict[str, tuple[pd.DataFrame, float]] = {}
    for name, model in (
        ("seasonal_naive", SeasonalNaive(season_length=7)),
        ("auto_ets", AutoETS(season_length=7)),
        ("adida", ADIDA()),
    ):
        started = time.perf_counter()
        fc = StatsForecast(models=[model], freq="D", n_jobs=1).forecast(df=train, h=horizon)
        fc = fc.reset_index() if "unique_id" not in fc.columns else fc
        fc = fc.rename(columns={str(model): "mean"})
        out[name] = (fc, time.perf_counter() - started)
    return out


def run_backtest(
    path: Path, cutoff: str, horizon: int, dask_client: Any | None = None
) -> dict[str, Any]:
    """Scores of chuhai's forecaster and the three baselines, plus per-market MASE/WAPE/pinball."""
    try:
        cutoff_ts = pd.Timestamp(cutoff)
    except ValueError as exc:
        raise BacktestError(f"The cutoff {cutoff!r} is not a date (YYYY-MM-DD).") from exc
    data = split(read_transactions(path), cutoff_ts, horizon)
    started = time.perf_counter()
    ours = forecast_daily(data.train, horizon, attributes=data.attributes, dask_client=dask_client)
    results: dict[str, Any] = {
        "chuhai": {
            **score(data.actual, ours, data.train),
            "seconds": round(time.perf_counter() - started, 2),
        }
    }
    forecasts = {"chuhai": ours}
    for name, (fc, seconds) in _baselines(data.train, horizon).items():
        results[name] = {**score(data.actual, fc, data.train), "seconds": round(seconds, 2)}
        forecasts[name] = fc
    markets = data.attributes.set_index("unique_id")["Country"]
    results["by_market"] = {
        name: mase_wape_by_group(data.actual, fc, data.train, markets)
        for name, fc in forecasts.items()
    }
    results["cutoff"], results["horizon"] = str(cutoff_ts.date()), horizon
    return results
