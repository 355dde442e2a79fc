"""The hedge book: booking forwards (every bad input refused, naming the field), marking them
to market from the rates table, settling at maturity through the ledger at the contract
rate, cancelling, and the 409s on a closed contract."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from chuhai.core.clock import FixedClock
from chuhai.core.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from chuhai.finance import hedges, ledger
from chuhai.finance.fx import FxRateMissing

sys.path.insert(0, str(Path(__file__).parents[1] / "inventory"))

from stock_helpers import Timed  # noqa: E402
from treasury_helpers import at_day, rates_to_cny, sell_usd  # noqa: E402

TRADE, MONTH_END, MATURITY = date(2026, 10, 10), date(2026, 10, 31), date(2026, 12, 31)


@pytest.fixture
def at(db, settings, world):
    timed = Timed(db, settings, FixedClock(datetime(2026, 12, 31, 4, tzinfo=UTC)))
    rates = {TRADE: "7.1", MONTH_END: "7.2", MATURITY: "7.3"}
    rates_to_cny(timed, world, {day: {"USD": rate} for day, rate in rates.items()})
    at_day(timed.clock, TRADE)
    return timed


def _book(at, world, draft=None, key=None):
    with at(world["finance"]) as ctx:
        return hedges.book(ctx, draft or sell_usd(), key)


def test_a_forward_is_booked_marked_and_settled_at_the_contract_rate(at, world):
    row = _book(at, world, sell_usd("10000.00", "7.25"), key="k1")
    assert (row.direction, row.currency, row.notional, row.state) == (
        "sell",
        "USD",
        1_000_000,
        "open",
    )
    assert _book(at, world, sell_usd("10000.00", "7.25"), key="k1").id == row.id  # a retry
    with at(world["finance"]) as ctx:
        [marked] = hedges.marked_book(ctx, MONTH_END)
        # 10,000 × (7.25 − 7.2) = 500.00 CNY: the forward gains as the dollar falls below it
        assert marked.mtm == 50_000 and marked.spot.rate == hedges.Decimal("7.2")
        assert hedges.hedge_positions(ctx.session, MONTH_END) == {"USD": -1_000_000}
    at_day(at.clock, MATURITY)
    with at(world["finance"]) as ctx:
        settled = hedges.settle(ctx, row.id, "value date")
        entry = ledger.get_entry(ctx, settled.journal_entry_id)
        amounts = {line.account_code: line.amount for line in entry.lines}
        assert amounts == {
            "1300-USD": -1_000_000,
            "3900-USD": 1_000_000,
            "3900-CNY": -7_250_000,
            "1300-CNY": 7_250_000,
        }
        assert entry.entry.fx_rate == "7.25"
        assert [h.to_state for h in hedges.history_of(ctx.session, row.id)] == ["open", "settled"]
        assert hedges.hedge_positions(ctx.session, MATURITY) == {}


def test_a_buy_forward_receives_exactly_its_notional_and_marks_the_other_way(at, world):
    draft = sell_usd("100.00", "7.0", sell_currency="CNY", buy_currency="USD")
    row = _book(at, world, draft)
    with at(world["finance"]) as ctx:
        assert hedges.mark(ctx, row, MONTH_END).mtm == 2_000  # 100 × (7.2 − 7.0)
    at_day(at.clock, MATURITY)
    with at(world["finance"]) as ctx:
        entry = ledger.get_entry(ctx, hedges.settle(ctx, row.id).journal_entry_id)
        amounts = {line.account_code: line.amount for line in entry.lines}
        assert amounts["1300-USD"] == 10_000 and amounts["1300-CNY"] == -70_000


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"value_date": date(2026, 10, 9), "trade_date": date(2026, 10, 1)}, "value_date", "past"),
        ({"trade_date": date(2026, 10, 10), "value_date": date(2026, 10, 10)}, None, None),
        ({"notional": "0"}, "notional", "more than zero"),
        ({"notional": "-5"}, "notional", "more than zero"),
        ({"notional": "10.001"}, "notional", "decimal places"),
        ({"notional": "ten"}, "notional", "not a number"),
        ({"contract_rate": "0"}, "contract_rate", "greater than zero"),
        ({"contract_rate": "-7"}, "contract_rate", "greater than zero"),
        ({"contract_rate": "71.5"}, "contract_rate", "absurd"),
        ({"sell_currency": "USD", "buy_currency": "EUR"}, "buy_currency", "CNY"),
        ({"sell_currency": "CNY", "buy_currency": "CNY"}, "buy_currency", "one side"),
        ({"sell_currency": "XYZ"}, "sell_currency", "unknown"),
        ({"sell_currency": "CHF"}, "sell_currency", "no bank account"),
        ({"counterparty": " "}, "counterparty", "bank"),
        ({"trade_date": date(2026, 10, 11)}, "trade_date", "future"),
    ],
)
def test_bad_forwards_are_refused_naming_the_field(at, world, changes, field, words):
    if field is None:  # a same-day forward is fine: the control case
        assert _book(at, world, sell_usd(**changes)).state == "open"
        return
    with pytest.raises(ValidationFailed) as refused:
        _book(at, world, sell_usd(**changes))
    assert field in [error.field for error in refused.value.errors]
    assert words in refused.value.detail or any(words in e.message for e in refused.value.errors)
    with at(world["finance"]) as ctx:
        assert hedges.list_forwards(ctx) == []


def test_a_maturity_before_the_trade_date_is_refused(at, world):
    at_day(at.clock, date(2026, 10, 1))
    draft = sell_usd(trade_date=date(2026, 10, 1), value_date=date(2026, 9, 30))
    with pytest.raises(ValidationFailed) as refused:
        _book(at, world, draft)
    assert any("before the trade date" in e.message for e in refused.value.errors)


def test_no_spot_rate_on_the_trade_day_is_refused(at, world):
    with pytest.raises(FxRateMissing):
        _book(at, world, sell_usd(sell_currency="JPY", notional="1000"))


def test_settling_early_or_twice_and_cancelling_a_closed_one_are_refused(at, world):
    row = _book(at, world)
    with pytest.raises(Conflict) as early, at(world["finance"]) as ctx:
        hedges.settle(ctx, row.id)
    assert early.value.field == "value_date"
    with pytest.raises(ValidationFailed) as no_reason, at(world["finance"]) as ctx:
        hedges.cancel(ctx, row.id, "  ")
    assert no_reason.value.field == "reason"
    with at(world["finance"]) as ctx:
        assert hedges.cancel(ctx, row.id, "the order fell through").state == "cancelled"
    for action in (
        lambda ctx: hedges.settle(ctx, row.id),
        lambda ctx: hedges.cancel(ctx, row.id, "x"),
    ):
        with pytest.raises(InvalidTransition) as closed, at(world["finance"]) as ctx:
            action(ctx)
        assert "cancelled" in closed.value.detail
    with at(world["finance"]) as ctx:
        history = hedges.history_of(ctx.session, row.id)
        assert [(h.to_state, h.note) for h in history] == [
            ("open", "booked"),
            ("cancelled", "the order fell through"),
        ]


def test_others_may_not_book_and_unknown_ids_are_404(at, world):
    with pytest.raises(Forbidden), at(world["merchandiser"]) as ctx:
        hedges.book(ctx, sell_usd())
    with pytest.raises(NotFound), at(world["finance"]) as ctx:
        hedges.get(ctx, "fwd_nope")
