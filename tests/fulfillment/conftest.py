"""Fixtures of the fulfillment tests: two SKUs of supplier A, a fixed clock, units of work
on it, and `ship` to create a shipment through the service (orders are not needed: a
made-up order id will do, shipments.order_id has no foreign key on purpose).

This folder is a package (it has an __init__.py) so this module is imported as
`fulfillment.conftest` and never shadows the suite's own `conftest`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from chuhai.catalog import service as catalog
from chuhai.core import jobs
from chuhai.core.auth import Actor
from chuhai.core.clock import FixedClock
from chuhai.core.context import Context
from chuhai.fulfillment import service
from fulfillment.shipping_examples import ADDRESSES, START

from helpers import draft, import_fx

# CNY→currency rates: a shipment's carrier and handling costs are booked in CNY at the
# shipment day's rate, and a shipment without a usable rate is refused
RATES = {"EUR": "0.1300", "GBP": "0.1100", "USD": "0.1400", "AUD": "0.2150", "JPY": "21.00"}


@pytest.fixture(autouse=True)
def fx_rates(unit, world, db, settings) -> None:
    """Rates for the fixed clock's day and for today (the live server's clock); the
    repricing the import queues is run, so the tests find an empty job queue."""
    for day in sorted({START.date(), datetime.now(UTC).date()}):
        import_fx(unit, world, day.isoformat(), RATES)
    jobs.run_pending(db, settings)


@pytest.fixture
def skus(unit, world) -> list[str]:
    with unit(world["supplier_a"]) as ctx:
        product = catalog.create_product(ctx, draft("SHIP-MUG"))
        return [s.id for s in catalog.skus_of(ctx.session, product.id)]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def at(db, settings, clock) -> Callable[..., Any]:
    """`with at(actor) as ctx:` a unit of work on the fixed clock, committed at the end."""

    @contextmanager
    def open_unit(actor: Actor) -> Iterator[Context]:
        with db.unit_of_work() as uow:
            yield Context(uow.session, actor, clock, settings)
            uow.commit()

    return open_unit


@pytest.fixture
def ship(at, world, skus) -> Callable[..., Any]:
    """Create a shipment as logistics staff; returns (id, tracking number)."""

    def create(
        country: str = "US",
        warehouse: str = "US-LAX",
        order_id: str = "ord_test_1",
        **address: str,
    ) -> tuple[str, str]:
        with at(world["logistics"]) as ctx:
            row = service.create_shipment(
                ctx,
                order_id=order_id,
                warehouse_id=warehouse,
                ship_to={**ADDRESSES[country], **address},
                lines=[(skus[0], 2), (skus[1], 1)],
                weight_g=1200,
            )
            return row.id, row.tracking_number

    return create
