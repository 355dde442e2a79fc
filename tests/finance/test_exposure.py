"""The FX exposure report: positions by currency from the ledger, committed purchases and
hedges, net in CNY, and value at risk by historical simulation over the ECB's rates; a
position without history is named, a stale rate refused."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chuhai.cli import app
from chuhai.core.auth import SYSTEM
from chuhai.core.clock import FixedClock
from chuhai.core.context import Context
from chuhai.core.db import Database
from chuhai.core.errors import Forbidden, ValidationFailed
from chuhai.core.money import Money
from chuhai.core.settings import load_settings
from chuhai.finance import exposure, hedges, ledger
from chuhai.finance import service as finance
from chuhai.finance.fx import FxRateMissing
from chuhai.finance.ledger import Line

sys.path.insert(0, str(Path(__file__).parents[1] / "inventory"))

from stock_helpers import Timed  # noqa: E402
from treasury_helpers import rates_to_cny, sell_usd  # noqa: E402

ON = date(2026, 10, 30)  # the last day of the ECB history the package ships


def test_var_by_hand():
    days = [date(2026, 1, d) for d in (5, 6, 7, 8, 9)]
    rates = [Decimal("100"), Decimal("101"), Decimal("98.98"), Decimal("98.98"), Decimal("99.9698")]
    history = {"USD": dict(zip(days, rates, strict=True))}
    # moves +1%, −2%, 0, +1% on a 10,000.00 CNY long position
    var = exposure.value_at_risk({"USD": Decimal(1_000_000)}, history, lookback=500)
    assert var.scenarios == 4 and (var.first_day, var.last_day) == (days[1], days[-1])
    assert var.one_day == {"95": 20_000, "99": 20_000}  # the worst of four: −2%
    assert var.ten_day == {"95": 63_246, "99": 63_246}  # 200.00 × √10 = 632.4555...
    short = exposure.value_at_risk({"USD": Decimal(-1_000_000)}, history, lookback=2)
    # the last two moves only (0, +1%): a short loses 1% on the second
    assert short.scenarios == 2 and short.one_day["95"] == 10_000


@pytest.fixture
def at(db, settings, world):
    timed = Timed(db, settings, FixedClock(datetime(2026, 10, 30, 4, tzinfo=UTC)))
    with timed() as ctx:
        finance.load_ecb_rates(
            ctx.session, currencies={"USD", "CNY"}, since=date(2024, 6, 1), clock=timed.clock
        )
    rates_to_cny(timed, world, {ON: {"GBP": "9.5"}})
    return timed


def _post(at, *lines: Line) -> None:
    with at() as ctx:
        ledger.post(
            ctx, lines, description="test", document_type="order", document_id="o", event="t"
        )


def test_positions_hedges_and_var(at, world):
    _post(at, Line("1100-US", 100_000, "USD"), Line("4000-US", -100_000, "USD"))
    _post(
        at,
        Line("1300-USD", 50_000, "USD"),
        Line("2250-US", -10_000, "USD"),
        Line("4000-US", -40_000, "USD"),
    )
    _post(at, Line("1300-GBP", 20_000, "GBP"), Line("4000-GB", -20_000, "GBP"))
    _post(at, Line("1400-CNY", 30_000, "CNY"), Line("2100-CNY", -30_000, "CNY"))
    with at(world["finance"]) as ctx:
        hedges.book(ctx, sell_usd("600.00", "7.0", trade_date=ON, value_date=date(2026, 12, 31)))
        report = exposure.report(ctx, ON, committed={"CNY": 5_000})
    rows = {row.currency: row for row in report.rows}
    usd = rows["USD"]
    assert (usd.receivables, usd.cash, usd.payables, usd.hedges) == (
        100_000,
        50_000,
        -10_000,
        -60_000,
    )
    assert (usd.before_hedges, usd.net) == (140_000, 80_000)
    with at() as ctx:
        spot = finance.rate_on(ctx, "USD", "CNY", ON).rate
        assert (
            usd.net_cny
            == finance.convert_on(ctx, Money(80_000, "USD"), "CNY", ON).money.amount_minor
        )
    assert usd.rate.rate == spot
    cny = rows["CNY"]
    assert (cny.payables, cny.committed, cny.net, cny.net_cny) == (
        -30_000,
        -5_000,
        -35_000,
        -35_000,
    )
    assert rows["GBP"].net_cny == 190_000  # 200.00 GBP × 9.5
    assert report.no_history == ["GBP"]  # priced, but no ECB history: left out of VaR, named
    assert report.net_cny == sum(row.net_cny for row in report.rows)
    var = report.var_after
    assert var.scenarios == 500 and var.last_day == ON
    assert var.first_day is not None and var.first_day > date(2024, 6, 1)
    assert 0 < var.one_day["95"] < var.one_day["99"] < var.ten_day["99"]
    # the sell forward removes 600 of the 1,400 USD at risk: VaR scales with the position
    before = report.var_before.one_day["99"]
    assert abs(Decimal(var.one_day["99"]) / before - Decimal(800) / 1400) < Decimal("0.001")


def test_the_lookback_is_configurable_and_checked(at, world):
    _post(at, Line("1100-US", 100_000, "USD"), Line("4000-US", -100_000, "USD"))
    with at(world["finance"]) as ctx:
        assert exposure.report(ctx, ON, lookback=20).var_after.scenarios == 20
    for bad in (1, 0, 10**6):
        with pytest.raises(ValidationFailed) as refused, at(world["finance"]) as ctx:
            exposure.report(ctx, ON, lookback=bad)
        assert refused.value.field == "lookback"


def test_a_stale_rate_is_refused(at, world):
    _post(at, Line("1100-US", 100_000, "USD"), Line("4000-US", -100_000, "USD"))
    at.clock.advance(timedelta(days=30))
    with pytest.raises(FxRateMissing), at(world["finance"]) as ctx:
        exposure.report(ctx, ON + timedelta(days=30))


def test_an_empty_book_and_permissions(at, world):
    with at(world["finance"]) as ctx:
        report = exposure.report(ctx, ON)
    assert report.rows == [] and report.var_after.scenarios == 0
    with pytest.raises(Forbidden), at(world["supplier_a"]) as ctx:
        exposure.report(ctx, ON)


def test_the_command_line_prints_the_exposure_and_revalues(tmp_path):
    url = f"sqlite:///{tmp_path}/c.db"
    env = {"CHUHAI_DATA_DIR": str(tmp_path), "CHUHAI_DATABASE_URL": url}
    runner = CliRunner()

    def run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), env=env)

    assert run("db", "upgrade").exit_code == 0
    assert run("fx", "load-ecb", "--since", "2024-06-01").exit_code == 0
    db = Database(url)
    with db.unit_of_work() as uow:
        settings = load_settings(env)
        ctx = Context(uow.session, SYSTEM, FixedClock(datetime(2026, 10, 30, tzinfo=UTC)), settings)
        ledger.post(
            ctx,
            [Line("1100-US", 100_000, "USD"), Line("4000-US", -100_000, "USD")],
            description="sale",
            document_type="order",
            document_id="o1",
            event="test",
            on=date(2026, 9, 15),
        )
        uow.commit()
    db.dispose()
    shown = run("treasury", "exposure", "--on", ON.isoformat(), "--json")
    assert shown.exit_code == 0, shown.output
    body = json.loads(shown.stdout)
    assert body["currencies"][0]["net"] == "1000.00"
    assert body["value_at_risk"]["after_hedges"]["scenarios"] == 500
    table = run("treasury", "exposure", "--on", ON.isoformat())
    assert "VaR after hedges: 1-day 95%" in " ".join(table.stdout.split())
    revalued = run("treasury", "revalue", "2026-09")
    assert revalued.exit_code == 0, revalued.output
    assert revalued.stdout.startswith("2026-09 revalued: unrealised FX ")
    bad = run("treasury", "revalue", "2026-13")
    assert bad.exit_code == 1 and "YYYY-MM" in bad.output
