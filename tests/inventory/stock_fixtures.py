"""Fixtures of the inventory tests, loaded by the test modules as a plugin
(`pytest_plugins = ["stock_fixtures"]`): a second conftest.py would shadow
`from conftest import …` in the other test directories.

`at`: units of work on a clock standing at START; `skus`: supplier A's listed mugs;
`stocked`: the same mugs, 100 white and 50 black received into CN-GZ on time."""

from __future__ import annotations

from typing import Any

import pytest
from stock_helpers import START, Skus, Timed, received_in_full, shipped_order

from chuhai.catalog import service as catalog
from chuhai.core.clock import FixedClock
from chuhai.core.db import Database
from chuhai.core.settings import Settings

from helpers import draft, list_product


@pytest.fixture
def at(db: Database, settings: Settings) -> Timed:
    return Timed(db, settings, FixedClock(START))


@pytest.fixture
def skus(unit: Any, world: Any) -> Skus:
    product_id = list_product(unit, world, draft(), ["US", "DE"])
    with unit() as ctx:
        found = {s.sku_code: s.id for s in catalog.skus_of(ctx.session, product_id)}
    return Skus(found["MUG-350-WHT"], found["MUG-350-BLK"], product_id)


@pytest.fixture
def stocked(at: Timed, world: Any, skus: Skus) -> Skus:
    received_in_full(at, world, shipped_order(at, world, skus))
    return skus
