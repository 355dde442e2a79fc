"""`chuhai demand backtest`: bad input gets one sentence and exit 1 (real file when present)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from chuhai.cli import app

SHARED_RETAIL = Path(__file__).resolve().parents[3] / "shared" / "data" / "online_retail"
RETAIL = SHARED_RETAIL / "online_retail_to_2011-10-14.csv.xz"
runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["demand", "backtest", *args])
    return result.exit_code, result.output


def test_a_missing_file(tmp_path: Path) -> None:
    code, output = _run(str(tmp_path / "nope.csv"), "--cutoff", "2011-08-19", "--horizon", "56")
    assert code == 1 and "does not exist" in output


def test_a_file_without_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("InvoiceNo,Quantity\n1,2\n")
    code, output = _run(str(path), "--cutoff", "2011-08-19", "--horizon", "56")
    assert code == 1 and "StockCode" in output and "Country" in output


@pytest.fixture(scope="module")
def slice_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not RETAIL.exists():
        pytest.skip("../shared/data/online_retail is not here")
    import pandas as pd

    frame = pd.read_csv(RETAIL, dtype=str)
    path = tmp_path_factory.mktemp("retail") / "slice.csv"
    frame[frame["StockCode"].isin(["85123A", "22423"])].to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("cutoff", "horizon", "message"),
    [
        ("2009-01-01", "56", "outside the data"),
        ("2011-08-19", "0", "positive"),
        ("2011-10-01", "56", "past the data's last day"),
        ("2010-12-05", "7", "20 selling days"),
    ],
)
def test_bad_cutoffs_and_horizons(
    slice_file: Path, cutoff: str, horizon: str, message: str
) -> None:
    code, output = _run(str(slice_file), "--cutoff", cutoff, "--horizon", horizon)
    assert code == 1 and message in output.replace("\n", " ")


def test_json_on_a_slice_of_the_real_file(slice_file: Path) -> None:
    import json

    code, output = _run(str(slice_file), "--cutoff", "2011-08-19", "--horizon", "28", "--json")
    assert code == 0, output
    results = json.loads(output)
    for name in ("chuhai", "seasonal_naive", "auto_ets", "adida"):
        assert results[name]["series"] == results["chuhai"]["series"] > 0
        assert set(results[name]) >= {"rmsse", "horizon_wape", "wape", "mase", "bias", "seconds"}
