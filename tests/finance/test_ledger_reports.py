"""Reports from the ledger (trial balance in each currency and in CNY, income statement,
statements, VAT/IOSS returns) and `chuhai ledger check`."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from chuhai.cli import app
from chuhai.core.errors import Forbidden, ValidationFailed
from chuhai.finance import ledger, reports
from chuhai.finance.fx import FxRateMissing
from chuhai.finance.ledger import Line

from helpers import import_fx

runner = CliRunner()
NOV_2 = date(2026, 11, 2)


def _sale(ctx, market: str, lines: list[Line], on: date, doc: str) -> None:
    ledger.post(
        ctx,
        lines,
        description="sale",
        document_type="order",
        document_id=doc,
        event="payment.captured",
        on=on,
        market_code=market,
    )


@pytest.fixture
def books(unit, world):
    import_fx(unit, world, "2026-11-02", {"EUR": "0.125", "USD": "0.14"})
    with unit() as ctx:
        _sale(
            ctx,
            "DE",
            [
                Line("1100-DE", 1190, "EUR"),
                Line("4000-DE", -1000, "EUR"),
                Line("2200-DE-IOSS", -190, "EUR"),
            ],
            NOV_2,
            "o1",
        )
        _sale(
            ctx,
            "FR",
            [
                Line("1100-FR", 1200, "EUR"),
                Line("4000-FR", -1000, "EUR"),
                Line("2200-DE-IOSS", -200, "EUR"),
            ],
            NOV_2,
            "o2",
        )
        _sale(
            ctx,
            "FR",
            [
                Line("1100-FR", -120, "EUR"),
                Line("4000-FR", 100, "EUR"),
                Line("2200-DE-IOSS", 20, "EUR"),
            ],
            date(2026, 11, 5),
            "r2",
        )
        _sale(ctx, "US", [Line("1100-US", 700, "USD"), Line("4000-US", -700, "USD")], NOV_2, "o3")
        _sale(
            ctx,
            "DE",
            [
                Line("1100-DE", 119, "EUR"),
                Line("4000-DE", -100, "EUR"),
                Line("2200-DE-IOSS", -19, "EUR"),
            ],
            date(2026, 12, 1),
            "o4",
        )


def test_the_trial_balance_balances_per_currency_and_converts_into_cny(unit, world, books):
    with unit(world["finance"]) as ctx:
        report = reports.trial_balance(ctx, date(2026, 11, 6))
    assert report.balanced and report.totals == {"EUR": 0, "USD": 0}
    got = {row.account.code: (row.balance, row.in_cny) for row in report.rows}
    assert got["1100-DE"] == (1190, 9520)  # 11.90 EUR at 8 CNY
    assert got["1100-US"] == (700, 5000)  # 7.00 USD at 1/0.14 CNY
    assert got["2200-DE-IOSS"] == (-370, -2960)
    assert report.total_cny == 0
    assert report.rates["EUR"].on == NOV_2


def test_a_missing_rate_for_the_report_day_is_refused(unit, world, books):
    with pytest.raises(FxRateMissing), unit(world["finance"]) as ctx:
        reports.trial_balance(ctx, date(2026, 11, 30))  # rates of 11-02 are stale


def test_the_income_statement_shows_the_period_only(unit, world, books):
    with unit(world["finance"]) as ctx:
        report = reports.income_statement(ctx, date(2026, 11, 1), date(2026, 11, 6))
    assert {row.account.code: row.balance for row in report.rows} == {
        "4000-DE": -1000,
        "4000-FR": -900,
        "4000-US": -700,
    }


def test_the_balance_sheet_balances_with_the_result_to_date(unit, world, books):
    with unit(world["finance"]) as ctx:
        sheet = reports.balance_sheet(ctx, date(2026, 11, 6))
    assert sheet.balanced
    assert sheet.assets.totals == {"EUR": 1190 + 1200 - 120, "USD": 700}
    assert sheet.liabilities.totals == {"EUR": -370}
    assert sheet.equity.totals == {}
    assert sheet.result.totals == {"EUR": -1900, "USD": -700}  # credits: a profit
    # 22.70 EUR at 8 and 7.00 USD at 1/0.14 = 181.60 + 50.00 CNY of assets
    assert sheet.assets.total_cny == 18160 + 5000
    assert sheet.result.total_cny == -(15200 + 5000)
    assert sheet.rounding == 0


def test_the_balance_sheet_over_http_and_the_income_statement(client, books):
    finance = client("finance")
    sheet = finance.get("/ledger/balance-sheet", params={"on": "2026-11-06"})
    assert sheet.status_code == 200, sheet.text
    body = sheet.json()
    assert body["balanced"] is True
    assert body["liabilities"]["totals"] == [{"amount": "-3.70", "currency": "EUR"}]
    income = finance.get(
        "/ledger/income-statement", params={"start": "2026-11-01", "end": "2026-11-06"}
    ).json()
    assert {row["account"]: row["balance"]["amount"] for row in income["rows"]} == {
        "4000-DE": "-10.00",
        "4000-FR": "-9.00",
        "4000-US": "-7.00",
    }
    ioss = finance.get("/ledger/returns/2200-DE-IOSS", params={"period": "2026-11"}).json()
    assert ioss["net"] == {"amount": "3.70", "currency": "EUR"}
    assert [line["market"] for line in ioss["lines"]] == ["DE", "FR"]
    bad = finance.get("/ledger/returns/2200-DE-IOSS", params={"period": "11/2026"})
    assert bad.status_code == 422 and "period" in bad.text
    later = finance.get(
        "/ledger/income-statement", params={"start": "2026-11-07", "end": "2026-11-06"}
    )
    assert later.status_code == 422 and "start" in later.text
    assert client("merchandiser").get("/ledger/balance-sheet").status_code == 403


def test_a_statement_runs_from_its_opening_balance(unit, world, books):
    with unit(world["finance"]) as ctx:
        got = reports.statement(ctx, "1100-FR", date(2026, 11, 3), date(2026, 12, 31))
    assert (got.opening, got.closing) == (1200, 1080)
    assert [(line.document_id, line.amount, line.running) for line in got.lines] == [
        ("r2", -120, 1080)
    ]


def test_the_ioss_return_lists_each_state_of_consumption(unit, world, books):
    with unit(world["finance"]) as ctx:
        got = reports.tax_return(ctx, "2200-DE-IOSS", "2026-11")
        assert [(x.market, x.collected, x.refunded, x.net) for x in got.lines] == [
            ("DE", 190, 0, 190),
            ("FR", 200, 20, 180),
        ]
        assert got.net == 370
        with pytest.raises(ValidationFailed) as refused:
            reports.tax_return(ctx, "4000-DE", "2026-11")
        assert refused.value.field == "account"
    with pytest.raises(Forbidden), unit(world["merchandiser"]) as ctx:
        reports.tax_return(ctx, "2200-DE-IOSS", "2026-11")


@pytest.fixture
def env(settings):  # type: ignore[no-untyped-def]
    return {"CHUHAI_DATA_DIR": str(settings.data_dir), "CHUHAI_DATABASE_URL": settings.database_url}


def test_ledger_check_passes_then_fails_after_tampering(env, db, books):
    ok = runner.invoke(app, ["ledger", "check"], env=env)
    assert ok.exit_code == 0, ok.output
    assert "balances (5 entries checked)" in ok.stdout
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE journal_lines SET amount = 701 WHERE amount = 700"))
    bad = runner.invoke(app, ["ledger", "check", "--json"], env=env)
    assert bad.exit_code == 1
    body = json.loads(bad.stdout)
    assert body["ok"] is False
    assert {p["kind"] for p in body["problems"]} == {"unbalanced_entry", "unbalanced_currency"}


def test_ledger_trial_balance_prints_each_currency(env, db, books):
    result = runner.invoke(app, ["ledger", "trial-balance", "--on", "2026-11-06"], env=env)
    assert result.exit_code == 0, result.output
    assert "EUR: lines sum to 0.00" in result.stdout
    bad = runner.invoke(app, ["ledger", "trial-balance", "--on", "30/11"], env=env)
    assert bad.exit_code == 1
