"""Period-end revaluation, checked by hand: a USD sale booked at r1, the month closed at r2
(unrealised = amount × (r2 − r1)), reversed on day one, settled at r3 (realised =
amount × (r3 − r1)) and never counted twice; forwards' MTM; the refusals."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from chuhai.core.clock import FixedClock
from chuhai.core.errors import Forbidden, ValidationFailed
from chuhai.core.money import Money
from chuhai.finance import hedges, ledger, revaluation
from chuhai.finance.ledger import Line, PeriodClosed
from chuhai.finance.tables import JournalEntryRow, RevaluationRow

sys.path.insert(0, str(Path(__file__).parents[1] / "inventory"))

from stock_helpers import Timed  # noqa: E402
from treasury_helpers import at_day, rates_to_cny, sell_usd  # noqa: E402

SALE_DAY, MONTH_END, SETTLE_DAY, NOV_END = (
    date(2026, 10, 10),
    date(2026, 10, 31),
    date(2026, 11, 5),
    date(2026, 11, 30),
)
R1, R2, R3, R4 = "7.1", "7.2", "7.05", "7.3"
USD_1000 = 100_000  # cents


@pytest.fixture
def at(db, settings, world):
    timed = Timed(db, settings, FixedClock(datetime(2026, 12, 1, 4, tzinfo=UTC)))
    rates = {SALE_DAY: R1, MONTH_END: R2, SETTLE_DAY: R3, NOV_END: R4}
    rates_to_cny(timed, world, {day: {"USD": rate} for day, rate in rates.items()})
    at_day(timed.clock, SALE_DAY)
    return timed


def _sell(at) -> None:
    with at() as ctx:
        ledger.post(
            ctx,
            [Line("1200-USD", USD_1000, "USD"), Line("4100-USD", -USD_1000, "USD")],
            description="B2B sale",
            document_type="order",
            document_id="ord_1",
            event="test",
            on=SALE_DAY,
        )


def _settle(at) -> None:
    with at() as ctx:
        ledger.settle(
            ctx,
            receivable="1200-USD",
            into="1300-CNY",
            amount=Money(USD_1000, "USD"),
            on=SETTLE_DAY,
            booked_on=SALE_DAY,
            document_type="order",
            document_id="ord_1",
        )


def _balances(at, on: date) -> dict[str, int]:
    with at() as ctx:
        return ledger.balances(ctx.session, on=on)


def test_unrealised_at_month_end_reversed_then_realised_once(at, world):
    _sell(at)
    at_day(at.clock, date(2026, 11, 2))
    with at(world["finance"]) as ctx:
        row = revaluation.revalue(ctx, "2026-10")
    # 1000 USD × (7.2 − 7.1) = 100.00 CNY unrealised gain
    assert row.unrealised == 10_000
    month_end = _balances(at, MONTH_END)
    assert month_end["3900-CNY"] == 10_000 and month_end["4960-CNY"] == -10_000
    day_one = _balances(at, date(2026, 11, 1))
    assert "4960-CNY" not in day_one and "3900-CNY" not in day_one  # reversed
    with at() as ctx:
        entry = ctx.session.get(JournalEntryRow, row.entry_id)
        reversal = ctx.session.get(JournalEntryRow, row.reversal_id)
        assert entry.event == "fx.revaluation" and entry.document_id == "2026-10"
        assert entry.posted_on == MONTH_END
        assert reversal.reverses_id == entry.id and reversal.posted_on == date(2026, 11, 1)
        memos = {line.memo for line in ledger.lines_of(ctx.session, entry.id)}
        assert memos == {"unrealised FX 1200-USD"}

    _settle(at)
    settled = _balances(at, SETTLE_DAY)
    # realised 1000 × (7.05 − 7.1) = −50.00 CNY: a loss, debited to 4950
    assert settled["4950-CNY"] == 5_000
    assert "4960-CNY" not in settled

    # November: the receivable is gone; its settlement line is valued at the booked rate, so
    # nothing is left to revalue (valued at 7.05 it would show the 50.00 again)
    at_day(at.clock, date(2026, 12, 2))
    with at(world["finance"]) as ctx:
        november = revaluation.revalue(ctx, "2026-11")
        [receivable] = [
            r for r in revaluation.account_results(ctx, NOV_END) if r.account == "1200-USD"
        ]
    assert receivable.balance == 0 and receivable.book == 0 and receivable.unrealised == 0
    assert november.unrealised == 0 and november.entry_id is None
    with at() as ctx:
        assert ledger.check(ctx.session) == []


def test_a_liability_in_usd_loses_when_the_dollar_rises(at, world):
    with at() as ctx:
        ledger.post(
            ctx,
            [Line("2250-US", -USD_1000, "USD"), Line("1100-US", USD_1000, "USD")],
            description="sales tax collected",
            document_type="order",
            document_id="ord_2",
            event="test",
            on=SALE_DAY,
        )
    at_day(at.clock, date(2026, 11, 2))
    with at(world["finance"]) as ctx:
        row = revaluation.revalue(ctx, "2026-10")
        results = {r.account: r.unrealised for r in revaluation.account_results(ctx, MONTH_END)}
    assert results == {"2250-US": -10_000, "1100-US": 10_000}
    assert row.unrealised == 0


def test_open_forwards_are_marked_into_fair_value(at, world):
    with at(world["finance"]) as ctx:
        hedges.book(ctx, sell_usd("10000.00", "7.25"))
    at_day(at.clock, date(2026, 11, 2))
    with at(world["finance"]) as ctx:
        row = revaluation.revalue(ctx, "2026-10")
    # sold 10,000 USD at 7.25; spot 7.2 at month end: 10,000 × 0.05 = 500.00 CNY gain
    assert row.hedge_result == 50_000
    month_end = _balances(at, MONTH_END)
    assert month_end["1500-CNY"] == 50_000 and month_end["4970-CNY"] == -50_000
    assert "1500-CNY" not in _balances(at, date(2026, 11, 1))


def test_revaluing_twice_returns_the_first(at, world):
    _sell(at)
    at_day(at.clock, date(2026, 11, 2))
    with at(world["finance"]) as ctx:
        first = revaluation.revalue(ctx, "2026-10")
    with at(world["finance"]) as ctx:
        again = revaluation.revalue(ctx, "2026-10")
        assert again.entry_id == first.entry_id
        count = ctx.session.scalar(
            select(func.count()).where(JournalEntryRow.event == "fx.revaluation")
        )
        assert count == 1
        assert [r.period for r in revaluation.list_revaluations(ctx)] == ["2026-10"]


def test_a_closed_period_is_refused(at, world):
    _sell(at)
    at_day(at.clock, date(2026, 11, 2))
    with at(world["finance"]) as ctx:
        ledger.close_period(ctx, "2026-10")
    with pytest.raises(PeriodClosed), at(world["finance"]) as ctx:
        revaluation.revalue(ctx, "2026-10")


def test_a_reversal_into_a_closed_period_is_refused_and_nothing_is_written(at, world):
    _sell(at)
    at_day(at.clock, date(2026, 12, 2))
    with at(world["finance"]) as ctx:
        ledger.close_period(ctx, "2026-11")
    with pytest.raises(PeriodClosed), at(world["finance"]) as ctx:
        revaluation.revalue(ctx, "2026-10")
    with at() as ctx:
        assert ctx.session.scalar(select(func.count()).select_from(RevaluationRow)) == 0
        assert "4960-CNY" not in ledger.balances(ctx.session)


@pytest.mark.parametrize("period", ["2026-13", "Oct", "2026-11"])
def test_a_bad_or_unfinished_period_is_refused(at, world, period):
    at_day(at.clock, date(2026, 11, 20))
    with pytest.raises(ValidationFailed) as refused, at(world["finance"]) as ctx:
        revaluation.revalue(ctx, period)
    assert refused.value.field == "period"


def test_only_treasury_may_revalue(at, world):
    at_day(at.clock, date(2026, 11, 2))
    with pytest.raises(Forbidden), at(world["merchandiser"]) as ctx:
        revaluation.revalue(ctx, "2026-10")
