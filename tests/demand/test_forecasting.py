"""Stored forecasts: a run over the order history (imported marketplace sales here), read
back series by series with their intervals; short and empty histories; each refusal; the
replenishment run that stores the forecast it used; over HTTP, in the console and the CLI."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from chuhai.cli import app
from chuhai.core.errors import Forbidden, NotFound, ValidationFailed
from chuhai.demand import forecasting
from chuhai.demand import replenishment as rp
from chuhai.demand import service as demand
from orders.shopping import Shop, build_shop

TODAY = datetime.now(UTC).date()


@pytest.fixture
def shop(unit, world) -> Shop:
    return build_shop(unit, world)


def _sales(unit, world, days: int) -> None:
    """`days` days of units sold to yesterday: white mugs in the US about 6 a day, black
    mugs in Germany about 1 a day (some days none)."""
    rng = random.Random(7)
    lines = ["date,market,sku,kind,count"]
    for back in range(days, 0, -1):
        day = (TODAY - timedelta(days=back)).isoformat()
        lines.append(f"{day},US,MUG-350-WHT,order,{rng.randint(3, 9)}")
        if rng.random() < 0.6:
            lines.append(f"{day},DE,MUG-350-BLK,order,{rng.randint(1, 2)}")
    with unit(world["merchandiser"]) as ctx:
        report = demand.import_signals(ctx, "marketplace.csv", "\n".join(lines).encode())
        assert report.ok, report.errors


def test_a_run_is_stored_and_read_back_series_by_series(unit, world, shop):
    _sales(unit, world, 70)
    with unit(world["logistics"]) as ctx:
        run, frame = forecasting.run(ctx, 30)
        assert (run.method, run.series, run.horizon) == ("forecast_daily", 2, 30)
        assert run.first_day == TODAY  # the day after the history's last (today, nothing yet)
        page = forecasting.series_page(ctx, run.id)
        assert [s.sku_id for s in page.items] == [shop.mug_white, shop.mug_black]  # largest first
        white = forecasting.one_series(ctx, run.id, shop.mug_white, "us")
    assert len(white.mean) == 30 and 4 < white.mean[0] < 8
    assert all(
        lo <= m <= hi for lo, m, hi in zip(white.lo_95, white.mean, white.hi_95, strict=True)
    )
    assert all(a <= b for a, b in zip(white.lo_95, white.lo_80, strict=True))
    assert white.total == pytest.approx(sum(white.mean), abs=0.02)
    stored = frame[frame["unique_id"] == f"{shop.mug_white}@US"]["mean"].round(2).tolist()
    assert white.mean == stored
    week = forecasting.window_total(white, 7)
    sigma = math.sqrt(
        sum(
            ((h - lo) / (2 * forecasting.Z95)) ** 2
            for lo, h in zip(white.lo_95[:7], white.hi_95[:7], strict=True)
        )
    )
    assert week["mean"] == pytest.approx(sum(white.mean[:7]), abs=0.05)
    assert week["high"] == pytest.approx(week["mean"] + forecasting.Z95 * sigma, abs=0.1)


def test_short_and_empty_histories_and_bad_horizons(unit, world, shop):
    with unit(world["merchandiser"]) as ctx:
        empty, _ = forecasting.run(ctx)
        assert (empty.method, empty.series) == ("none", 0)
    _sales(unit, world, 10)  # under four weeks: no model, the trailing mean
    with unit(world["merchandiser"]) as ctx:
        short, _ = forecasting.run(ctx, 14)
        assert (short.method, short.series) == ("trailing_28d", 2)
        for bad in (0, 367, True, "30"):
            with pytest.raises(ValidationFailed) as refused:
                forecasting.run(ctx, bad)  # type: ignore[arg-type]
            assert refused.value.errors[0].field == "horizon"
    with unit(world["finance"]) as ctx, pytest.raises(Forbidden):
        forecasting.list_runs(ctx)
    with unit(world["logistics"]) as ctx:
        with pytest.raises(NotFound):
            forecasting.get_run(ctx, "fcr_nope")
        with pytest.raises(NotFound):
            forecasting.one_series(ctx, short.id, shop.lamp, "US")


def test_replenishment_stores_the_forecast_it_used(unit, world, shop):
    _sales(unit, world, 40)
    with unit(world["logistics"]) as ctx:
        result = rp.compute(ctx)
        assert result.run.forecast_source == "forecast_daily"
        used = forecasting.get_run(ctx, result.run.forecast_run_id)
        assert used.series == 2 and used.horizon == 90


def test_forecasts_over_http(client, unit, world, shop):
    _sales(unit, world, 40)
    api = client("merchandiser")
    made = api.post("/demand/forecasts", json={"horizon": 21})
    assert made.status_code == 201, made.text
    run = made.json()
    assert (run["series"], run["horizon"], run["method"]) == (2, 21, "forecast_daily")
    assert [r["id"] for r in api.get("/demand/forecasts").json()] == [run["id"]]
    series = api.get(f"/demand/forecasts/{run['id']}/series", params={"market": "de"}).json()
    assert series["total"] == 1 and len(series["items"][0]["hi_95"]) == 21
    bad = api.post("/demand/forecasts", json={"horizon": 0})
    assert bad.status_code == 422 and bad.json()["field"] == "horizon"
    assert api.post("/demand/forecasts", json={"horizon": 9, "x": 1}).status_code == 422
    assert api.get("/demand/forecasts/fcr_nope/series").status_code == 404
    assert client("finance").get("/demand/forecasts").status_code == 403


def test_a_planner_runs_a_forecast_and_reads_a_series_chart(console, unit, world, shop):
    _sales(unit, world, 40)
    page = console("merchandiser")
    page.get_by_role("link", name="Forecasts").click()
    assert page.get_by_test_id("no-runs").is_visible()
    page.get_by_label("horizon").fill("0")
    page.get_by_role("button", name="Run a forecast").click()
    assert "horizon" in page.content() and "from 1 to 366" in page.content()
    page.get_by_label("horizon").fill("28")
    page.get_by_role("button", name="Run a forecast").click()
    table = page.get_by_test_id("forecast-series")
    assert "MUG-350-WHT" in table.inner_text() and "MUG-350-BLK" in table.inner_text()
    page.get_by_role("link", name="MUG-350-WHT").click()
    assert page.get_by_test_id("forecast-chart").is_visible()
    assert "Next 7 days" in page.get_by_test_id("totals").inner_text()


def test_the_command_line_runs_and_stores_a_forecast(tmp_path):
    import json

    runner = CliRunner()
    env = {"CHUHAI_DATA_DIR": str(tmp_path), "CHUHAI_DATABASE_URL": f"sqlite:///{tmp_path}/c.db"}
    assert runner.invoke(app, ["db", "upgrade"], env=env).exit_code == 0
    done = runner.invoke(app, ["demand", "forecast", "--horizon", "14", "--json"], env=env)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) | {"id": ""} == {
        "id": "",
        "method": "none",
        "first_day": TODAY.isoformat(),
        "horizon": 14,
        "series": 0,
    }
    bad = runner.invoke(app, ["demand", "forecast", "--horizon", "400"], env=env)
    assert bad.exit_code == 1 and "horizon" in bad.stderr
