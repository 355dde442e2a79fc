"""The stock ledger and its balances: every movement's effect, the guards that keep
available stock from going below zero, and the check that balances equal the ledger."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from chuhai.core.auth import SYSTEM
from chuhai.core.errors import OutOfStock, ValidationFailed
from chuhai.inventory import ledger
from chuhai.inventory.ledger import Move

from helpers import draft, list_product


@pytest.fixture
def sku_id(unit, world) -> str:
    product_id = list_product(unit, world, draft(), ["US", "DE"])
    with unit() as ctx:
        from chuhai.catalog import service as catalog

        return catalog.skus_of(ctx.session, product_id)[0].id


def _post(unit, kind: str, sku_id: str, quantity: int, warehouse: str = "CN-GZ") -> None:
    with unit() as ctx:
        ledger.post(
            ctx, [Move(kind, sku_id, warehouse, quantity)], document_type="test", document_id="t1"
        )


def test_receipt_qc_put_away_reserve_pick_ship(unit, sku_id):
    _post(unit, "receipt", sku_id, 100)
    _post(unit, "qc_reject", sku_id, 4)
    _post(unit, "put_away", sku_id, 96)
    _post(unit, "reserve", sku_id, 10)
    _post(unit, "pick", sku_id, 6)
    _post(unit, "ship", sku_id, 6)
    _post(unit, "release", sku_id, 4)
    with unit() as ctx:
        got = ledger.balance(ctx.session, sku_id, "CN-GZ")
        assert (got.receiving, got.on_hand, got.reserved, got.picked, got.available) == (
            0,
            90,
            0,
            0,
            90,
        )
        assert ledger.verify(ctx.session) == []


def test_transfer_moves_stock_through_transit(unit, sku_id):
    _post(unit, "receipt", sku_id, 50)
    _post(unit, "put_away", sku_id, 50)
    with unit() as ctx:
        ledger.post(
            ctx,
            [Move("transfer_out", sku_id, "CN-GZ", 30), Move("in_transit", sku_id, "US-LAX", 30)],
            document_type="transfer",
            document_id="tr1",
        )
    with unit() as ctx:
        assert ledger.balance(ctx.session, sku_id, "US-LAX").in_transit == 30
        assert ledger.balance(ctx.session, sku_id, "CN-GZ").on_hand == 20
    _post(unit, "transfer_in", sku_id, 30, "US-LAX")
    with unit() as ctx:
        assert ledger.balance(ctx.session, sku_id, "US-LAX").available == 30
        assert ledger.verify(ctx.session) == []


def test_cannot_reserve_more_than_available_nor_take_from_nothing(unit, sku_id):
    _post(unit, "receipt", sku_id, 5)
    _post(unit, "put_away", sku_id, 5)
    _post(unit, "reserve", sku_id, 3)
    with pytest.raises(OutOfStock) as refused:
        _post(unit, "reserve", sku_id, 3)
    assert refused.value.extra["available"] == 2
    with pytest.raises(OutOfStock):
        _post(unit, "write_off", sku_id, 3)  # would leave fewer on hand than reserved
    with pytest.raises(OutOfStock):
        _post(unit, "transfer_out", sku_id, 1, "US-LAX")  # nothing there at all
    with unit() as ctx:
        assert ledger.balance(ctx.session, sku_id, "CN-GZ").available == 2
        assert ledger.verify(ctx.session) == []


@pytest.mark.parametrize("quantity", [0, -1, 1_000_001, True, 2.5])
def test_bad_quantities_are_refused(unit, sku_id, quantity):
    with pytest.raises(ValidationFailed) as refused:
        _post(unit, "receipt", sku_id, quantity)
    assert refused.value.field == "quantity"


def test_count_adjustment_goes_either_way(unit, sku_id):
    _post(unit, "count_adjustment", sku_id, 7)
    _post(unit, "count_adjustment", sku_id, -2)
    with unit() as ctx:
        assert ledger.balance(ctx.session, sku_id, "CN-GZ").on_hand == 5


def test_verify_finds_a_tampered_balance(unit, db, sku_id):
    _post(unit, "receipt", sku_id, 5)
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE stock_balances SET receiving = 6"))
    with unit() as ctx:
        [found] = ledger.verify(ctx.session)
    assert (found.bucket, found.ledger, found.balance) == ("receiving", 5, 6)


def test_racing_reservations_never_oversell(unit, db, sku_id):
    _post(unit, "receipt", sku_id, 10)
    _post(unit, "put_away", sku_id, 10)
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def buy() -> None:
        barrier.wait()
        for _ in range(3):
            try:
                _post(unit, "reserve", sku_id, 1)
                outcomes.append("ok")
            except OutOfStock:
                outcomes.append("out")

    threads = [threading.Thread(target=buy) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 10 and outcomes.count("out") == 14
    with unit(SYSTEM) as ctx:
        assert ledger.balance(ctx.session, sku_id, "CN-GZ").available == 0
        assert ledger.verify(ctx.session) == []
