"""Builders of the inventory tests: a clock that stands still until told to move with units
of work on it, and stock-up orders of supplier A's two mugs in each state."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from chuhai.core.auth import SYSTEM, Actor
from chuhai.core.clock import FixedClock
from chuhai.core.context import Context
from chuhai.core.db import Database
from chuhai.core.settings import Settings
from chuhai.inventory import stockup
from chuhai.inventory.stockup import CartonDraft, LineCount, LineDraft, StockUpDraft

# 10:00 in China on a Monday
START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@dataclass
class Timed:
    """`with at(actor) as ctx:` — a unit of work on the test's fixed clock, committed."""

    db: Database
    settings: Settings
    clock: FixedClock

    @contextmanager
    def __call__(self, actor: Actor = SYSTEM) -> Iterator[Context]:
        with self.db.unit_of_work() as uow:
            yield Context(uow.session, actor, self.clock, self.settings)
            uow.commit()

    def advance(self, **delta: float) -> None:
        self.clock.advance(timedelta(**delta))

    def today(self) -> date:
        """Today in China."""
        return (self.clock.now() + timedelta(hours=8)).date()


@dataclass(frozen=True)
class Skus:
    white: str  # MUG-350-WHT, CNY 12.50
    black: str  # MUG-350-BLK, CNY 13.20
    product_id: str


def order_of(
    at: Timed, world: Any, skus: Skus, white: Any = 100, black: Any = 50, **changes: Any
) -> str:
    """Issue a JIT order of the two mugs from supplier A to CN-GZ, due in 48 hours."""
    values: dict[str, Any] = dict(
        supplier_id=world.supplier_a,
        warehouse_id="CN-GZ",
        kind="jit",
        jit_hours=48,
        lines=[LineDraft(skus.white, white), LineDraft(skus.black, black)],
    )
    values.update(changes)
    with at(world["merchandiser"]) as ctx:
        return stockup.issue(ctx, StockUpDraft(**values)).id


def shipped_order(at: Timed, world: Any, skus: Skus, white: int = 100, black: int = 50) -> str:
    """An order confirmed and shipped in full: white in cartons of 40 (the last one less),
    black in one carton."""
    order_id = order_of(at, world, skus, white, black)
    with at(world["supplier_a"]) as ctx:
        stockup.confirm(ctx, order_id)
        full, rest = divmod(white, 40)
        cartons = [CartonDraft(skus.white, 40)] * full + (
            [CartonDraft(skus.white, rest)] if rest else []
        )
        cartons += [CartonDraft(skus.black, black)]
        stockup.ship(ctx, order_id, cartons, carrier="Deppon", tracking_number="DPK1234567")
    return order_id


def received_in_full(at: Timed, world: Any, order_id: str) -> None:
    with at(world["logistics"]) as ctx:
        stockup.receive(
            ctx,
            order_id,
            [
                LineCount(line.sku_id, line.shipped)
                for line in stockup.lines_of(ctx.session, order_id)
            ],
        )
