"""Forecast accuracy metrics, exactly as issue 6 defines them (so anyone can recompute them).

`actual` and `forecast` are aligned frames over the horizon (unique_id, ds, y / yhat);
`train` is the history before the cutoff (unique_id, ds, y) on a dense daily grid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _joined(actual: pd.DataFrame, forecast: pd.DataFrame, column: str) -> pd.DataFrame:
    merged = actual[["unique_id", "ds", "y"]].merge(
        forecast[["unique_id", "ds", column]], on=["unique_id", "ds"], how="left"
    )
    merged["yhat"] = merged[column].fillna(0.0).clip(lower=0.0)
    return merged


def _training_scales(train: pd.DataFrame) -> pd.DataFrame:
    """Per series: mean squared one-day difference and 7-day seasonal-naive MAE in training."""
    ordered = train.sort_values(["unique_id", "ds"])
    grouped = ordered.groupby("unique_id", sort=True)["y"]
    diff1 = grouped.diff(1)
    diff7 = grouped.diff(7)
    return pd.DataFrame(
        {
            "msd": (diff1**2).groupby(ordered["unique_id"]).mean(),
            "snaive_mae": diff7.abs().groupby(ordered["unique_id"]).mean(),
        }
    )


def _safe_ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    ratio = numerator / denominator.where(denominator > 0)
    return ratio.replace([np.inf, -np.inf], np.nan)


def score(
    actual: pd.DataFrame, forecast: pd.DataFrame, train: pd.DataFrame, column: str = "mean"
) -> dict[str, float]:
    """rmsse, horizon_wape, wape, mase, bias and the series count over the horizon."""
    joined = _joined(actual, forecast, column)
    err = joined["y"] - joined["yhat"]
    by_series = joined.assign(se=err**2, ae=err.abs()).groupby("unique_id", sort=True)
    per_series = pd.DataFrame(
        {
            "mse": by_series["se"].mean(),
            "mae": by_series["ae"].mean(),
            "y_sum": by_series["y"].sum(),
            "yhat_sum": by_series["yhat"].sum(),
        }
    ).join(_training_scales(train))
    total_y = float(joined["y"].sum())
    rmsse = np.sqrt(_safe_ratio(per_series["mse"], per_series["msd"]))
    mase = _safe_ratio(per_series["mae"], per_series["snaive_mae"])
    return {
        "rmsse": float(rmsse.mean()),
        "horizon_wape": float((per_series["y_sum"] - per_series["yhat_sum"]).abs().sum() / total_y)
        if total_y
        else float("nan"),
        "wape": float(err.abs().sum() / total_y) if total_y else float("nan"),
        "mase": float(mase.mean()),
        "bias": float(joined["yhat"].sum() / total_y - 1) if total_y else float("nan"),
        "series": int(per_series.shape[0]),
    }


def pinball_loss(
    actual: pd.DataFrame, forecast: pd.DataFrame, column: str, quantile: float
) -> float:
    """Mean pinball (quantile) loss of one forecast column, scaled by mean demand."""
    joined = _joined(actual, forecast, column)
    diff = joined["y"] - joined["yhat"]
    loss = np.maximum(quantile * diff, (quantile - 1) * diff)
    mean_y = float(joined["y"].mean())
    return float(loss.mean() / mean_y) if mean_y else float("nan")


def mase_wape_by_group(
    actual: pd.DataFrame,
    forecast: pd.DataFrame,
    train: pd.DataFrame,
    groups: pd.Series,
    column: str = "mean",
) -> dict[str, dict[str, float]]:
    """MASE, WAPE and pinball loss (median and the 80% interval's ends) per group and in total."""
    out: dict[str, dict[str, float]] = {}
    pinball_cols = [c for c in ("lo-80", "hi-80") if c in forecast.columns]
    subsets = [(str(g), groups.index[groups == g]) for g in sorted(groups.unique())]
    subsets.append(("total", groups.index))
    for name, ids in subsets:
        a = actual[actual["unique_id"].isin(ids)]
        f = forecast[forecast["unique_id"].isin(ids)]
        t = train[train["unique_id"].isin(ids)]
        s = score(a, f, t, column)
        row = {"mase": s["mase"], "wape": s["wape"], "pinball_50": pinball_loss(a, f, column, 0.5)}
        for col in pinball_cols:
            q = 0.1 if col.startswith("lo") else 0.9
            row[f"pinball_{int(q * 100)}"] = pinball_loss(a, f, col, q)
        row["series"] = s["series"]
        out[name] = row
    return out
