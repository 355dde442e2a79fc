"""Backtest chuhai's forecaster against statsforecast's baselines on the real retail file.

Cutoff 8 weeks before the file's last day (2011-10-14 → 2011-08-19), horizon 56. Prints the
table, then the JSON object on the last line.  AutoETS is slow here (3–6 min on 2 shared cores).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from chuhai.demand.backtest import run_backtest

RETAIL = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "online_retail"
    / "online_retail_to_2011-10-14.csv.xz"
)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else RETAIL
    results = run_backtest(path, "2011-08-19", 56)
    print(
        f"{'forecaster':<15}"
        + "".join(f"{m:>13}" for m in ("rmsse", "horizon_wape", "wape", "mase", "bias", "seconds"))
    )
    for name in ("chuhai", "seasonal_naive", "auto_ets", "adida"):
        r = results[name]
        print(
            f"{name:<15}"
            + "".join(
                f"{r[m]:>13.4f}"
                for m in ("rmsse", "horizon_wape", "wape", "mase", "bias", "seconds")
            )
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
