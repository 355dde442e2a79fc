"""Property-based invariants of the ledger (hypothesis): after any random sequence of business
events (sales, refunds, stock-up receipts, penalties, goods shipped (cost of goods sold, and a
consignment supplier's payable), shipments' carrier and handling costs), conversions and
reversals posted through the service, every currency's lines sum to zero, balances equal the
sum of lines, replaying the same events into an empty ledger reproduces every balance, and
every amount is an int.

The default run tries 50 sequences; `CHUHAI_HYPOTHESIS_EXAMPLES=5000` tries thousands (on
PostgreSQL too, with CHUHAI_TEST_DATABASE_URL)."""

from __future__ import annotations

import os
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from chuhai.core import events
from chuhai.core.clock import FixedClock
from chuhai.core.context import Context
from chuhai.core.errors import ValidationFailed
from chuhai.core.money import Money
from chuhai.finance import ledger, postings, revaluation  # noqa: F401  (the event postings)
from chuhai.finance.fx import FxRate
from chuhai.finance.ledger import Line
from chuhai.finance.tables import JournalEntryRow, JournalLineRow, RevaluationRow
from chuhai.parties import service as parties

from helpers import import_fx

EXAMPLES = int(os.environ.get("CHUHAI_HYPOTHESIS_EXAMPLES", "50"))
MARKETS = {"US": "USD", "GB": "GBP", "DE": "EUR", "FR": "EUR", "JP": "JPY", "AU": "AUD"}
BANKS = ("CNY", "USD", "EUR", "GBP", "JPY", "AUD")
DAY = date(2026, 10, 5)
MONTH_END = date(2026, 10, 31)
AFTER_MONTH_END = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
# CNY -> currency on DAY and at the month's end: the revaluation's book and closing rates
RATES = {
    DAY: {"USD": "0.1400", "EUR": "0.1250", "GBP": "0.1100", "JPY": "21.00", "AUD": "0.2150"},
    MONTH_END: {"USD": "0.1390", "EUR": "0.1262", "GBP": "0.1085", "JPY": "21.40", "AUD": "0.2110"},
}
RUN = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

money = st.integers(min_value=0, max_value=10**9)
sale = st.tuples(
    st.just("sale"), st.sampled_from(sorted(MARKETS)), money, money, money, st.booleans()
)
refund = st.tuples(st.just("refund"), st.integers(0, 50), st.integers(1, 10**9))
receipt = st.tuples(st.just("receipt"), st.integers(0, 10**10))
penalty = st.tuples(st.just("penalty"), st.integers(0, 10**8))
conversion = st.tuples(
    st.just("convert"),
    st.sampled_from(BANKS),
    st.sampled_from(BANKS),
    st.integers(1, 10**9),
    st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("500"), places=4),
)
reversal = st.tuples(st.just("reverse"), st.integers(0, 50))
# goods shipped to a buyer: cost of goods sold, for a supplier paid on receipt (0) or on sale
shipped = st.tuples(
    st.just("shipped"), st.integers(0, 1), st.integers(0, 10**7), st.integers(1, 50)
)
# a shipment's carrier charge (in CNY, or converted from USD at a stated rate) and handling
shipment = st.tuples(
    st.just("shipment"),
    st.integers(0, 10**7),
    st.integers(0, 10**6),
    st.one_of(st.none(), st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9"), places=4)),
)
steps = st.lists(
    st.one_of(sale, refund, receipt, penalty, conversion, reversal, shipped, shipment),
    max_size=25,
)


def _play(
    ctx: Any, sequence: list[tuple[Any, ...]], consigned: str = "sup_2", revalue: bool = False
) -> None:
    """Post the sequence the way the capabilities would (events) on DAY, plus treasury
    actions; with `revalue`, then the month's revaluation (and its reversal) after its end.
    `consigned` is a supplier paid on sale."""
    on_day = Context(
        ctx.session, ctx.actor, FixedClock(datetime(2026, 10, 5, 9, tzinfo=UTC)), ctx.settings
    )
    _post_events(on_day, sequence, consigned)
    if revalue:
        after = Context(ctx.session, ctx.actor, FixedClock(AFTER_MONTH_END), ctx.settings)
        revaluation.revalue(after, "2026-10")


def _post_events(ctx: Any, sequence: list[tuple[Any, ...]], consigned: str) -> None:
    orders: list[dict[str, Any]] = []
    for number, step in enumerate(sequence):
        kind = step[0]
        if kind == "sale":
            _, market, goods, duty, vat, low = step
            if goods + duty + vat == 0:
                continue
            duty = duty if market != "CN" else 0
            order = dict(
                id=f"ord_{number}",
                market=market,
                total=goods + duty + vat,
                duty=duty,
                vat=vat,
                refunded=0,
                regime="low value: VAT collected at checkout" if low else "full",
            )
            orders.append(order)
            events.publish(
                ctx,
                "payment.captured",
                order_id=order["id"],
                market=market,
                currency=MARKETS[market],
                amount=order["total"],
                goods=goods,
                duty=duty,
                vat=vat,
                regime=order["regime"],
            )
        elif kind == "refund" and orders:
            order = orders[step[1] % len(orders)]
            amount = min(step[2], order["total"] - order["refunded"])
            if amount <= 0:
                continue
            events.publish(
                ctx,
                "refund.issued",
                refund_id=f"rfd_{number}",
                order_id=order["id"],
                market=order["market"],
                currency=MARKETS[order["market"]],
                amount=amount,
                refunded_before=order["refunded"],
                order_total=order["total"],
                order_duty=order["duty"],
                order_vat=order["vat"],
                regime=order["regime"],
            )
            order["refunded"] += amount
        elif kind == "receipt":
            events.publish(
                ctx,
                "stock_up.received",
                order_id=f"su_{number}",
                supplier_id="sup_1",
                warehouse_id="CN-GZ",
                currency="CNY",
                amount=step[1],
                accepted=1,
            )
        elif kind == "penalty":
            events.publish(
                ctx,
                "penalty.created",
                penalty_id=f"pen_{number}",
                supplier_id="sup_1",
                stock_up_order_id=f"su_{number}",
                kind="late",
                amount=step[1],
                currency="CNY",
            )
        elif kind == "convert" and step[1] != step[2]:
            _, base, quote, amount, rate = step
            try:
                ledger.convert(
                    ctx,
                    from_account=f"1300-{base}",
                    to_account=f"1300-{quote}",
                    amount=Money(amount, base),
                    on=DAY,
                    document_type="treasury",
                    document_id=f"tr_{number}",
                    rate=FxRate(base, quote, rate, DAY, "TEST"),
                )
            except ValidationFailed as refused:  # converts to less than one minor unit
                assert refused.field == "amount"
        elif kind == "reverse":
            _reverse_one(ctx, step[1])
        elif kind == "shipped":
            _ship(ctx, number, ("sup_1", consigned)[step[1]], step[2], step[3])
        elif kind == "shipment":
            _shipment_costs(ctx, number, step[1], step[2], step[3])


def _ship(ctx: Any, number: int, supplier: str, unit_cost: int, units: int) -> None:
    line = dict(
        sku_id="sku_1",
        supplier_id=supplier,
        warehouse_id="CN-GZ",
        units=units,
        unit_cost=unit_cost,
        currency="CNY",
    )
    events.publish(ctx, "order.shipped", order_id=f"ord_{number}", order_number="", lines=[line])


def _shipment_costs(
    ctx: Any, number: int, carrier: int, handling: int, rate: Decimal | None
) -> None:
    def cost(fen: int) -> dict[str, Any]:
        if rate is None:
            return dict(
                amount=fen,
                original_amount=fen,
                original_currency="CNY",
                rate=None,
                rate_on=None,
                rate_source=None,
            )
        return dict(
            amount=fen,
            original_amount=int(fen / rate) or 1,  # the record only: the ledger books `amount`
            original_currency="USD",
            rate=str(rate),
            rate_on=DAY,
            rate_source="TEST",
        )

    events.publish(
        ctx,
        "shipment.created",
        shipment_id=f"shp_{number}",
        order_id=f"ord_{number}",
        warehouse_id="US-LAX",
        carrier="usps ground-advantage",
        units=1,
        carrier_cost=cost(carrier),
        handling_cost=cost(handling),
    )


def _reverse_one(ctx: Any, pick: int) -> None:
    open_ = ctx.session.scalars(
        select(JournalEntryRow.id)
        .where(JournalEntryRow.reverses_id.is_(None))
        .where(
            ~JournalEntryRow.id.in_(
                select(JournalEntryRow.reverses_id).where(JournalEntryRow.reverses_id.is_not(None))
            )
        )
        .order_by(JournalEntryRow.id)
    ).all()
    if open_:
        ledger.reverse(ctx, open_[pick % len(open_)], "property test")


def _empty(unit: Any) -> None:
    with unit() as ctx:
        ctx.session.execute(delete(RevaluationRow))
        ctx.session.execute(delete(JournalLineRow))
        ctx.session.execute(delete(JournalEntryRow).where(JournalEntryRow.reverses_id.is_not(None)))
        ctx.session.execute(delete(JournalEntryRow))


def _state(unit: Any) -> tuple[dict[str, int], dict[str, int]]:
    """(balances from the service, balances summed here from the raw lines)."""
    with unit() as ctx:
        lines = ctx.session.execute(
            select(JournalLineRow.account_code, JournalLineRow.currency, JournalLineRow.amount)
        ).all()
        for _, _, amount in lines:
            assert type(amount) is int
        by_currency: dict[str, int] = defaultdict(int)
        summed: dict[str, int] = defaultdict(int)
        for account, currency, amount in lines:
            by_currency[currency] += amount
            summed[account] += amount
        assert all(total == 0 for total in by_currency.values()), by_currency
        assert ledger.check(ctx.session) == []
        served = ledger.balances(ctx.session)
        assert all(type(value) is int for value in served.values())
        return served, {code: value for code, value in summed.items() if value}


@pytest.fixture
def month_rates(unit, world):  # type: ignore[no-untyped-def]
    for day, rates in RATES.items():
        import_fx(unit, world, day.isoformat(), rates)


@RUN
@given(sequence=steps, revalue=st.booleans())
def test_any_sequence_balances_and_replays_to_the_same_balances(
    unit, world, month_rates, sequence, revalue
):
    with unit(world["finance"]) as ctx:
        parties.set_payable_basis(ctx, world.supplier_b, "sale")
    _empty(unit)
    with unit() as ctx:
        _play(ctx, sequence, consigned=world.supplier_b, revalue=revalue)
    served, summed = _state(unit)
    assert served == summed
    if revalue:  # posted on the month's last day, reversed on the next: nothing is left
        assert served.get("4960-CNY", 0) == served.get("4970-CNY", 0) == 0
    _empty(unit)
    with unit() as ctx:
        _play(ctx, sequence, consigned=world.supplier_b, revalue=revalue)
    replayed, _ = _state(unit)
    assert replayed == served


@RUN
@given(
    amount=st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.decimals(allow_nan=False, allow_infinity=False),
        st.booleans(),
        st.text(max_size=5),
    )
)
def test_no_float_or_other_non_int_ever_becomes_an_amount(unit, amount):
    with pytest.raises(ValidationFailed) as refused, unit() as ctx:
        ledger.post(
            ctx,
            [Line("1300-CNY", amount, "CNY"), Line("3000-CNY", amount, "CNY")],
            description="x",
            document_type="test",
            document_id="t",
            event="test",
        )
    assert refused.value.field == "lines[0].amount"
