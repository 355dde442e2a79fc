"""Stock views, corrections by logistics staff, and `chuhai stock check` / `expire-orders`."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from stock_helpers import order_of
from typer.testing import CliRunner

from chuhai.cli import app
from chuhai.core.errors import Forbidden, OutOfStock, ValidationFailed
from chuhai.inventory import ledger, stockup
from chuhai.inventory import service as stock
from chuhai.inventory.ledger import Move

# the fixtures `at`, `skus` and `stocked`
pytest_plugins = ["stock_fixtures"]

runner = CliRunner()


def test_stock_levels_filter_search_and_paginate(at, world, stocked):
    with at() as ctx:
        ledger.post(
            ctx,
            [Move("in_transit", stocked.white, "US-LAX", 7)],
            document_type="test",
            document_id="t",
        )
    with at(world["merchandiser"]) as ctx:
        every = stock.stock_levels(ctx)
        assert [(s.warehouse_id, s.sku_code) for s in every.items] == [
            ("CN-GZ", "MUG-350-WHT"),
            ("CN-GZ", "MUG-350-BLK"),
            ("US-LAX", "MUG-350-WHT"),
        ]
        lax = stock.stock_levels(ctx, warehouse_id="US-LAX").items
        assert [(s.sku_code, s.in_transit, s.available) for s in lax] == [("MUG-350-WHT", 7, 0)]
        black = stock.stock_levels(ctx, search="blk").items
        assert [(s.sku_code, s.on_hand) for s in black] == [("MUG-350-BLK", 50)]
        assert stock.stock_levels(ctx, sku_id=stocked.white).total == 2
        page = stock.stock_levels(ctx, limit=2, offset=2)
        assert (page.total, len(page.items)) == (3, 1)
    with pytest.raises(ValidationFailed), at(world["merchandiser"]) as ctx:
        stock.stock_levels(ctx, limit=0)
    with pytest.raises(Forbidden), at(world["supplier_a"]) as ctx:
        stock.stock_levels(ctx)


def test_movements_say_who_when_why_and_which_document(at, world, stocked):
    with at(world["logistics"]) as ctx:
        stock.write_off(
            ctx, sku_id=stocked.white, warehouse_id="CN-GZ", quantity=2, reason="dropped forklift"
        )
    with at(world["finance"]) as ctx:
        [latest, *_] = stock.movements(ctx, sku_id=stocked.white, warehouse_id="CN-GZ").items
        assert (latest.kind, latest.quantity, latest.reason) == ("write_off", 2, "dropped forklift")
        assert latest.actor_id == world["logistics"].user_id and latest.document_type == "write_off"
        receipts = stock.movements(ctx, document_id=latest.document_id).items
        assert [m.id for m in receipts] == [latest.id]


def test_a_count_sets_the_shelf_to_what_was_counted(at, world, stocked):
    with at(world["logistics"]) as ctx:
        row = stock.adjust_count(
            ctx, sku_id=stocked.white, warehouse_id="CN-GZ", counted=97, reason="cycle count A4"
        )
        assert (row.kind, row.quantity, row.d_on_hand) == ("count_adjustment", -3, -3)
        assert row.reason == "counted 97, books said 100: cycle count A4"
        stock.adjust_count(
            ctx, sku_id=stocked.white, warehouse_id="CN-GZ", counted=99, reason="found two"
        )
    with at() as ctx:
        assert ledger.balance(ctx.session, stocked.white, "CN-GZ").on_hand == 99
        assert stock.check(ctx.session) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"counted": -1}, "counted"),
        ({"counted": 1.5}, "counted"),
        ({"counted": 100}, "counted"),  # what the books already say
        ({"reason": " "}, "reason"),
        ({"sku_id": "sku_none"}, "sku_id"),
        ({"warehouse_id": "NOPE"}, "warehouse_id"),
    ],
)
def test_a_count_needs_a_number_a_reason_and_a_real_place(at, world, stocked, changes, field):
    values = {
        "sku_id": stocked.white,
        "warehouse_id": "CN-GZ",
        "counted": 90,
        "reason": "count",
        **changes,
    }
    with pytest.raises(ValidationFailed) as refused, at(world["logistics"]) as ctx:
        stock.adjust_count(ctx, **values)
    assert refused.value.field == field


def test_a_count_below_the_reserved_units_is_refused(at, world, stocked):
    with at() as ctx:
        ledger.post(
            ctx, [Move("reserve", stocked.white, "CN-GZ", 10)], document_type="t", document_id="o"
        )
    with pytest.raises(OutOfStock) as refused, at(world["logistics"]) as ctx:
        stock.adjust_count(ctx, sku_id=stocked.white, warehouse_id="CN-GZ", counted=4, reason="x")
    assert "10 are promised to orders" in refused.value.detail


@pytest.mark.parametrize(
    ("quantity", "error"), [(0, ValidationFailed), (-2, ValidationFailed), (101, OutOfStock)]
)
def test_a_write_off_needs_units_that_exist(at, world, stocked, quantity, error):
    with pytest.raises(error), at(world["logistics"]) as ctx:
        stock.write_off(
            ctx, sku_id=stocked.white, warehouse_id="CN-GZ", quantity=quantity, reason="x"
        )


def test_only_logistics_corrects_stock(at, world, stocked):
    with pytest.raises(Forbidden), at(world["merchandiser"]) as ctx:
        stock.write_off(ctx, sku_id=stocked.white, warehouse_id="CN-GZ", quantity=1, reason="x")


# --- the command line ---------------------------------------------------------------------------


@pytest.fixture
def env(settings):  # type: ignore[no-untyped-def]
    return {"CHUHAI_DATA_DIR": str(settings.data_dir), "CHUHAI_DATABASE_URL": settings.database_url}


def test_stock_check_passes_after_the_flows_and_fails_after_tampering(env, db, stocked):
    ok = runner.invoke(app, ["stock", "check"], env=env)
    assert ok.exit_code == 0, ok.output
    assert "agree (2 balance(s) checked)" in ok.stdout
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE stock_balances SET on_hand = on_hand + 1"))
    bad = runner.invoke(app, ["stock", "check"], env=env)
    assert bad.exit_code == 1
    assert "on_hand" in bad.stdout
    assert "2 balance bucket(s) differ from the ledger" in bad.stderr
    as_json = runner.invoke(app, ["stock", "check", "--json"], env=env)
    assert as_json.exit_code == 1
    body = json.loads(as_json.stdout)
    assert body["ok"] is False and body["balances_checked"] == 2
    assert {(m["bucket"], m["ledger"], m["balance"]) for m in body["mismatches"]} == {
        ("on_hand", 100, 101),
        ("on_hand", 50, 51),
    }


def test_stock_check_json_when_all_is_well(env, db):
    result = runner.invoke(app, ["stock", "check", "--json"], env=env)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"ok": True, "balances_checked": 0, "mismatches": []}


def test_expire_orders_from_the_command_line(env, at, world, skus):
    order_id = order_of(at, world, skus)  # due 2026-03-04: long past on the system clock
    result = runner.invoke(app, ["stock", "expire-orders"], env=env)
    assert result.exit_code == 0, result.output
    assert f"1 stock-up order(s) expired: {order_id}" in result.stdout
    with at() as ctx:
        assert stockup.visible_order(ctx, order_id).state == "expired"
    again = runner.invoke(app, ["stock", "expire-orders"], env=env)
    assert "0 stock-up order(s) expired." in again.stdout


def test_the_worker_queues_expiry_only_when_an_order_is_overdue(at, world, skus, db, settings):
    from chuhai.core import jobs

    order_id = order_of(at, world, skus)  # due in 48 hours, expires 14 days later
    with db.unit_of_work() as uow:
        assert stockup.schedule_expiry(uow.session, at.clock.now()) is False
    at.advance(days=16, hours=1)
    with db.unit_of_work() as uow:
        assert stockup.schedule_expiry(uow.session, at.clock.now()) is True
        uow.commit()
    with db.unit_of_work() as uow:
        assert stockup.schedule_expiry(uow.session, at.clock.now()) is False  # one queued
    ran = [j for j in jobs.run_pending(db, settings, at.clock) if j.kind == stockup.EXPIRE_JOB]
    assert [j.result for j in ran] == [f"1 stock-up order(s) expired: {order_id}"]
    with db.unit_of_work() as uow:
        assert stockup.schedule_expiry(uow.session, at.clock.now()) is False  # none left
