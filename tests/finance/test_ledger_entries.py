"""The ledger service: balanced entries in each currency, the bad input it refuses with
nothing written, reversals, conversions through FX trading accounts, realised FX results,
closed periods and the check."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, update

from chuhai.core.errors import Conflict, Forbidden, ValidationFailed
from chuhai.core.money import Money
from chuhai.finance import ledger
from chuhai.finance.fx import FxRateMissing
from chuhai.finance.ledger import Line, PeriodClosed
from chuhai.finance.tables import JournalEntryRow, JournalLineRow

from helpers import import_fx

SALE = [
    Line("1100-DE", 11900, "EUR"),
    Line("4000-DE", -10000, "EUR"),
    Line("2200-DE-IOSS", -1900, "EUR"),
]


def _post(ctx, lines=SALE, **changes):
    values = dict(description="test sale", document_type="order", document_id="ord_1", event="test")
    values.update(changes)
    return ledger.post(ctx, lines, **values)


def _count(unit) -> tuple[int, int]:
    with unit() as ctx:
        entries = ctx.session.scalar(select(func.count()).select_from(JournalEntryRow))
        lines = ctx.session.scalar(select(func.count()).select_from(JournalLineRow))
        return entries, lines


def test_a_balanced_entry_moves_balances(unit):
    with unit() as ctx:
        entry = _post(ctx)
        assert ledger.balances(ctx.session) == {
            "1100-DE": 11900,
            "4000-DE": -10000,
            "2200-DE-IOSS": -1900,
        }
        assert ledger.check(ctx.session) == []
        assert [line.amount for line in ledger.lines_of(ctx.session, entry.id)] == [
            11900,
            -10000,
            -1900,
        ]


@pytest.mark.parametrize(
    ("lines", "field", "words"),
    [
        ([Line("1100-DE", 100, "EUR"), Line("4000-DE", -99, "EUR")], "lines", "sum to"),
        ([Line("1100-DE", 100, "EUR")], "lines", "two lines"),
        ([Line("1100-DE", 100, "EUR"), Line("4000-US", -100, "EUR")], "lines[1].currency", "USD"),
        ([Line("1100-DE", 100, "EUR"), Line("9999-XX", -100, "EUR")], "lines[1].account", "9999"),
        ([Line("1100-DE", 1.5, "EUR"), Line("4000-DE", -1.5, "EUR")], "lines[0].amount", "whole"),  # type: ignore[arg-type]
        ([Line("1100-DE", True, "EUR"), Line("4000-DE", -1, "EUR")], "lines[0].amount", "whole"),
        ([Line("1100-DE", 0, "EUR"), Line("4000-DE", 0, "EUR")], "lines[0].amount", "non-zero"),
    ],
)
def test_bad_entries_are_refused_and_nothing_is_written(unit, lines, field, words):
    with pytest.raises(ValidationFailed) as refused, unit() as ctx:
        _post(ctx, lines)
    assert refused.value.field == field
    assert words in refused.value.detail
    assert _count(unit) == (0, 0)


def test_each_currency_must_balance_on_its_own(unit):
    # EUR and USD "net" to zero as numbers, but each currency is unbalanced
    lines = [Line("1100-DE", 100, "EUR"), Line("4000-US", -100, "USD")]
    with pytest.raises(ValidationFailed) as refused, unit() as ctx:
        _post(ctx, lines)
    assert "EUR lines sum to" in refused.value.detail
    assert _count(unit) == (0, 0)


def test_a_reversal_negates_and_links_and_happens_once(unit, world):
    with unit() as ctx:
        original = _post(ctx)
    with unit(world["finance"]) as ctx:
        reversal = ledger.reverse_entry(ctx, original.id, "posted twice")
        assert reversal.reverses_id == original.id
        assert ledger.balances(ctx.session) == {}
    with pytest.raises(Conflict, match="already reversed"), unit(world["finance"]) as ctx:
        ledger.reverse_entry(ctx, original.id, "again")
    with pytest.raises(Forbidden), unit(world["merchandiser"]) as ctx:
        ledger.reverse_entry(ctx, original.id, "not mine to do")


def test_an_event_key_posts_once(unit):
    with unit() as ctx:
        first = _post(ctx, event_key="payment.captured:ord_1")
        again = _post(ctx, event_key="payment.captured:ord_1")
        assert again.id == first.id
    assert _count(unit) == (1, 3)


def test_posting_into_a_closed_period_is_refused(unit, world):
    with unit(world["finance"]) as ctx:
        ledger.close_period(ctx, "2026-10")
    with pytest.raises(PeriodClosed) as refused, unit() as ctx:
        _post(ctx, on=date(2026, 10, 31))
    assert refused.value.field == "on"
    assert _count(unit) == (0, 0)
    with unit() as ctx:
        _post(ctx, on=date(2026, 11, 1))  # the next month is open
    with pytest.raises(ValidationFailed) as bad, unit(world["finance"]) as ctx:
        ledger.close_period(ctx, "2026-13")
    assert bad.value.field == "period"


def test_a_conversion_posts_through_fx_trading_accounts(unit, world):
    import_fx(unit, world, "2026-11-02", {"EUR": "0.1300"})
    with unit() as ctx:
        entry = ledger.convert(
            ctx,
            from_account="1300-CNY",
            to_account="1300-EUR",
            amount=Money(100_000, "CNY"),
            on=date(2026, 11, 3),
            document_type="treasury",
            document_id="tr_1",
        )
        assert (entry.fx_rate, entry.fx_on) == ("0.13", date(2026, 11, 2))
        assert ledger.balances(ctx.session) == {
            "1300-CNY": -100_000,
            "3900-CNY": 100_000,
            "3900-EUR": -13_000,
            "1300-EUR": 13_000,
        }
        assert ledger.check(ctx.session) == []


def test_a_missing_or_stale_rate_is_refused(unit, world):
    import_fx(unit, world, "2026-01-02", {"EUR": "0.1300"})
    with pytest.raises(FxRateMissing), unit() as ctx:
        ledger.convert(
            ctx,
            from_account="1300-CNY",
            to_account="1300-EUR",
            amount=Money(100, "CNY"),
            on=date(2026, 11, 3),
            document_type="treasury",
            document_id="tr_1",
        )
    assert _count(unit) == (0, 0)


def test_settling_a_receivable_books_the_realised_fx_result(unit, world):
    import_fx(unit, world, "2026-11-02", {"USD": "0.1400"})  # 1 USD = 7.142857 CNY
    import_fx(unit, world, "2026-11-09", {"USD": "0.1410"})  # the dollar fell: 7.092199 CNY
    sale = [Line("1100-US", 10_000, "USD"), Line("4000-US", -10_000, "USD")]
    with unit() as ctx:
        _post(ctx, sale, on=date(2026, 11, 2))
        entry = ledger.settle(
            ctx,
            receivable="1100-US",
            into="1300-CNY",
            amount=Money(10_000, "USD"),
            on=date(2026, 11, 9),
            booked_on=date(2026, 11, 2),
            document_type="payout",
            document_id="psp_1",
        )
        got = ledger.balances(ctx.session)
        # 100 USD booked at 714.29 CNY, received 709.22 CNY: a realised loss of 5.07 CNY
        assert got["1300-CNY"] == 70_922
        assert got["4950-CNY"] == 507
        assert got["3900-CNY"] == -71_429
        assert got["3900-USD"] == 10_000
        assert "1100-US" not in got
        assert entry.fx_on == date(2026, 11, 9)
        assert ledger.check(ctx.session) == []
    with pytest.raises(ValidationFailed) as refused, unit() as ctx:
        ledger.settle(
            ctx,
            receivable="1100-US",
            into="1300-EUR",
            amount=Money(100, "USD"),
            on=date(2026, 11, 9),
            booked_on=date(2026, 11, 2),
            document_type="payout",
            document_id="psp_2",
        )
    assert refused.value.field == "into"


def test_the_check_finds_a_tampered_line(unit):
    with unit() as ctx:
        entry = _post(ctx)
    with unit() as ctx:
        ctx.session.execute(
            update(JournalLineRow)
            .where(JournalLineRow.entry_id == entry.id, JournalLineRow.amount == -1900)
            .values(amount=-1800)
        )
    with unit() as ctx:
        kinds = {problem.kind for problem in ledger.check(ctx.session)}
        assert kinds == {"unbalanced_entry", "unbalanced_currency"}


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("12.50", "EUR", 1250), ("-12.5", "EUR", -1250), ("1200", "JPY", 1200)],
)
def test_amounts_parse_exactly(text, currency, minor):
    assert ledger.parse_amount(text, currency, "amount") == minor


@pytest.mark.parametrize(("text", "currency"), [("12.505", "EUR"), ("1.5", "JPY"), ("x", "EUR")])
def test_amounts_with_too_many_decimals_are_refused(text, currency):
    with pytest.raises(ValidationFailed) as refused:
        ledger.parse_amount(text, currency, "lines[0].amount")
    assert refused.value.field == "lines[0].amount"


def test_an_amount_too_small_to_convert_is_refused(unit, world):
    import_fx(unit, world, "2026-11-02", {"JPY": "21.00"})
    with pytest.raises(ValidationFailed) as refused, unit() as ctx:
        ledger.convert(
            ctx,
            from_account="1300-CNY",
            to_account="1300-JPY",
            amount=Money(1, "CNY"),  # 1 fen is 0.21 yen
            on=date(2026, 11, 3),
            document_type="treasury",
            document_id="tr_1",
        )
    assert refused.value.field == "amount"
    assert _count(unit) == (0, 0)
