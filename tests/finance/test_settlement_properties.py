"""Property-based invariants of supplier settlement (hypothesis): after any random sequence
of receipts, penalties, consignment sales, reversals, settlement runs, approvals and bank
confirmations for two suppliers over several weeks,

- every statement equals the sum of its ledger lines to the fen (`settlement.check`, which
  `chuhai settlement check` runs, finds nothing);
- each ledger line is taken by one statement at most;
- each supplier's balance on supplier payables equals what its unpaid statements and the
  lines no statement has taken yet say.

The default run tries 30 sequences; `CHUHAI_HYPOTHESIS_EXAMPLES=5000` tries thousands (on
PostgreSQL too, with CHUHAI_TEST_DATABASE_URL)."""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from chuhai.core import events
from chuhai.core.auth import SYSTEM
from chuhai.core.clock import FixedClock
from chuhai.core.context import Context
from chuhai.finance import ledger, settlement
from chuhai.finance.settlement_tables import PayoutRefusalRow
from chuhai.finance.tables import (
    JournalEntryRow,
    JournalLineRow,
    PayoutRow,
    SettlementLineRow,
    SettlementRunHistoryRow,
    SettlementRunRow,
    SettlementStatementRow,
)
from chuhai.parties import service as parties

EXAMPLES = int(os.environ.get("CHUHAI_HYPOTHESIS_EXAMPLES", "30"))
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
RUN = examples(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
REVERSIBLE = ("stock_up.received", "penalty.created", "order.shipped", "settlement.payout")

fen = st.integers(min_value=1, max_value=10**8)
who = st.integers(0, 1)  # supplier A (paid on receipt) or B (paid on sale)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("receipt"), who, fen),
        st.tuples(st.just("penalty"), who, st.integers(1, 10**7)),
        st.tuples(st.just("sale"), who, fen, st.integers(1, 20)),
        st.tuples(st.just("reverse"), st.integers(0, 50)),
        st.tuples(st.just("run")),
        st.tuples(st.just("approve")),
        st.tuples(st.just("confirm")),
        st.tuples(st.just("days"), st.integers(1, 9)),
    ),
    max_size=30,
)


class Clocked:
    def __init__(self, db: Any, app_settings: Any) -> None:
        self.db, self.settings, self.clock = db, app_settings, FixedClock(START)

    def __call__(self, actor: Any = SYSTEM) -> Any:
        db, app_settings, clock = self.db, self.settings, self.clock

        class _Unit:
            def __enter__(self) -> Context:
                self.uow = db.unit_of_work().__enter__()
                return Context(self.uow.session, actor, clock, app_settings)

            def __exit__(self, kind: Any, value: Any, trace: Any) -> None:
                if kind is None:
                    self.uow.commit()
                self.uow.__exit__(kind, value, trace)

        return _Unit()


def _cycle(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _play(at: Clocked, world: Any, sequence: list[tuple[Any, ...]]) -> None:
    suppliers = (world.supplier_a, world.supplier_b)
    for number, step in enumerate(sequence):
        kind = step[0]
        with at(world["finance"]) as ctx:
            if kind == "receipt":
                events.publish(
                    ctx,
                    "stock_up.received",
                    order_id=f"su_{number}",
                    supplier_id=suppliers[step[1]],
                    warehouse_id="CN-GZ",
                    currency="CNY",
                    amount=step[2],
                    accepted=1,
                )
            elif kind == "penalty":
                events.publish(
                    ctx,
                    "penalty.created",
                    penalty_id=f"pen_{number}",
                    supplier_id=suppliers[step[1]],
                    stock_up_order_id=f"su_{number}",
                    kind="late",
                    amount=step[2],
                    currency="CNY",
                )
            elif kind == "sale":
                line = {
                    "sku_id": "sku_1",
                    "supplier_id": suppliers[step[1]],
                    "warehouse_id": "CN-GZ",
                    "units": step[3],
                    "unit_cost": step[2],
                    "currency": "CNY",
                }
                events.publish(
                    ctx, "order.shipped", order_id=f"ord_{number}", order_number="", lines=[line]
                )
            elif kind == "reverse":
                _reverse_one(ctx, step[1])
            elif kind == "run":
                with contextlib.suppress(settlement.CyclePaid):
                    settlement.run_cycle(ctx, _cycle(ctx.now().date()))
            elif kind in ("approve", "confirm"):
                _advance_runs(ctx, kind)
            elif kind == "days":
                at.clock.advance(timedelta(days=step[1]))


def _reverse_one(ctx: Context, pick: int) -> None:
    reversed_ids = select(JournalEntryRow.reverses_id).where(
        JournalEntryRow.reverses_id.is_not(None)
    )
    candidates = ctx.session.scalars(
        select(JournalEntryRow.id)
        .where(JournalEntryRow.event.in_(REVERSIBLE), ~JournalEntryRow.id.in_(reversed_ids))
        .order_by(JournalEntryRow.id)
    ).all()
    if candidates:
        ledger.reverse(ctx, candidates[pick % len(candidates)], "property test")


def _advance_runs(ctx: Context, kind: str) -> None:
    for run in settlement.list_runs(ctx):
        if kind == "approve" and run.state == "draft":
            settlement.approve(ctx, run.id)
        elif kind == "confirm" and run.state == "approved":
            settlement.confirm_payouts(ctx, run.id)


def _empty(at: Clocked) -> None:
    at.clock = FixedClock(START)
    with at() as ctx:
        for table in (
            PayoutRefusalRow,
            SettlementLineRow,
            PayoutRow,
            SettlementStatementRow,
            SettlementRunHistoryRow,
            SettlementRunRow,
            JournalLineRow,
        ):
            ctx.session.execute(delete(table))
        ctx.session.execute(delete(JournalEntryRow).where(JournalEntryRow.reverses_id.is_not(None)))
        ctx.session.execute(delete(JournalEntryRow))


def _check(at: Clocked, world: Any) -> None:
    with at(world["finance"]) as ctx:
        session = ctx.session
        assert settlement.check(session) == []
        taken = session.scalar(select(func.count()).select_from(SettlementLineRow))
        distinct = session.scalar(
            select(func.count(func.distinct(SettlementLineRow.journal_line_id)))
        )
        assert taken == distinct  # each ledger line in one statement at most
        for supplier in (world.supplier_a, world.supplier_b):
            _check_supplier(ctx, supplier)


def _check_supplier(ctx: Context, supplier: str) -> None:
    session = ctx.session
    balance = session.scalar(
        select(func.coalesce(func.sum(JournalLineRow.amount), 0)).where(
            JournalLineRow.account_code == "2100-CNY", JournalLineRow.party_id == supplier
        )
    )
    confirmed = select(PayoutRow.statement_id).where(PayoutRow.state == "confirmed")
    unpaid = session.scalar(
        select(func.coalesce(func.sum(SettlementStatementRow.net), 0)).where(
            SettlementStatementRow.supplier_id == supplier,
            ~SettlementStatementRow.id.in_(confirmed),
        )
    )
    taken = select(SettlementLineRow.journal_line_id)
    untaken = session.scalar(
        select(func.coalesce(func.sum(JournalLineRow.amount), 0))
        .join(JournalEntryRow, JournalEntryRow.id == JournalLineRow.entry_id)
        .where(
            JournalLineRow.account_code == "2100-CNY",
            JournalLineRow.party_id == supplier,
            JournalEntryRow.event != "settlement.payout",
            ~JournalLineRow.id.in_(taken),
        )
    )
    # payables are credits: the platform owes the unpaid statements and what no statement
    # has taken yet
    assert -int(balance) == int(unpaid) - int(untaken)
    pending = settlement.pending_for(ctx, supplier)
    assert pending.payable == -int(balance)
    assert pending.unsettled == -int(untaken)


@RUN
@given(sequence=steps)
def test_statements_equal_their_ledger_lines_after_any_sequence(db, settings, world, sequence):
    at = Clocked(db, settings)
    with at(world["finance"]) as ctx:
        parties.set_payable_basis(ctx, world.supplier_b, "sale")
    _empty(at)
    _play(at, world, [*sequence, ("days", 8), ("run",), ("approve",), ("confirm",)])
    _check(at, world)
