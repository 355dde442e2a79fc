"""The issue's metrics recomputed by hand on a tiny frame."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from chuhai.demand.metrics import score


def test_metrics_match_a_hand_computation() -> None:
    days = pd.date_range("2024-01-01", periods=9, freq="D")
    train = pd.DataFrame({"unique_id": "A", "ds": days, "y": [1, 3, 1, 3, 1, 3, 1, 3, 1.0]})
    horizon = pd.date_range("2024-01-10", periods=2, freq="D")
    actual = pd.DataFrame({"unique_id": "A", "ds": horizon, "y": [2.0, 4.0]})
    forecast = pd.DataFrame({"unique_id": "A", "ds": horizon, "mean": [3.0, -1.0]})  # -1 clips to 0
    s = score(actual, forecast, train)
    # errors -1 and 4: mse 8.5, mae 2.5; one-day diffs all ±2 → msd 4; 7-day diffs 3-1, 1-3 → mae 2
    assert s["rmsse"] == pytest.approx(math.sqrt(8.5 / 4))
    assert s["horizon_wape"] == pytest.approx(abs(6 - 3) / 6)
    assert s["wape"] == pytest.approx(5 / 6)
    assert s["bias"] == pytest.approx(3 / 6 - 1)
    assert s["mase"] == pytest.approx(2.5 / 2)
    assert s["series"] == 1
