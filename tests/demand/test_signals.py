"""Demand signals: captured from orders, returns, stock and the storefront; imported from
CSV files (every bad row named, nothing half written, a file imported twice counted once);
read back as the forecaster's daily history with stockout days flagged."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import pytest

from chuhai.core.clock import FixedClock
from chuhai.core.errors import Forbidden
from chuhai.core.runtime import Runtime
from chuhai.demand import service as demand
from chuhai.demand import signals
from chuhai.demand.signals import SkuCount
from chuhai.fulfillment import service as fulfillment
from chuhai.fulfillment.model import TrackingEvent
from chuhai.inventory import ledger
from chuhai.inventory.ledger import Move
from chuhai.orders import service as orders
from orders.shopping import Shop, build_shop

TODAY = datetime.now(UTC).date()


@pytest.fixture
def shop(unit, world) -> Shop:
    return build_shop(unit, world)


def _sku_counts(unit, kind: str) -> dict[tuple[str, str, str], int]:
    with unit() as ctx:
        page = demand.sku_signals(ctx, demand.SignalFilter(kind=kind), limit=200)
        return {(r.market_code, r.sku_id, r.source): r.count for r in page.items}


# --- orders, returns, stockouts ---------------------------------------------------------------


def test_a_paid_order_counts_its_units_per_sku_in_its_market(unit, shop):
    shop.stock(unit, shop.mug_white, "DE-FRA", 10)
    shop.stock(unit, shop.mug_black, "DE-FRA", 10)
    shop.buy(unit, items=[(shop.mug_white, 2), (shop.mug_black, 1)])
    shop.buy(unit, items=[(shop.mug_white, 3)])

    assert _sku_counts(unit, "order") == {
        ("DE", shop.mug_white, "orders"): 5,
        ("DE", shop.mug_black, "orders"): 1,
    }


def test_a_received_return_counts_its_units(unit, world, shop):
    shop.stock(unit, shop.mug_white, "DE-FRA", 3)
    order = shop.buy(unit, items=[(shop.mug_white, 2)])
    with unit(world["logistics"]) as ctx:
        orders.pick_order(ctx, order.id)
        orders.ship_order(ctx, order.id)
    with unit() as ctx:
        for shipment in fulfillment.shipments_of_order(ctx.session, order.id):
            delivered = TrackingEvent(
                event_id=f"evt-{shipment.id}",
                tracking_number=shipment.tracking_number,
                status="delivered",
                occurred_at=datetime.now(UTC),
                location="front door",
            )
            fulfillment.apply_carrier_events(ctx, shipment.carrier, [delivered])
    with unit(world["merchandiser"]) as ctx:
        authorised = orders.authorise_return(ctx, order.id, [(shop.mug_white, 2)], "too big")
    with unit(world["logistics"]) as ctx:
        orders.receive_return(ctx, authorised.id, "DE-FRA", {shop.mug_white: "restock"})

    assert _sku_counts(unit, "return") == {("DE", shop.mug_white, "orders"): 2}


def test_selling_the_last_unit_opens_a_stockout_that_restocking_closes(unit, world, shop):
    shop.stock(unit, shop.mug_white, "DE-FRA", 1)
    shop.buy(unit, items=[(shop.mug_white, 1)])
    with unit(world["merchandiser"]) as ctx:
        opened = demand.stockouts(ctx, open_only=True).items
        assert [(s.sku_id, s.market_code) for s in opened] == [(shop.mug_white, "DE")]
        assert demand.censored_days(ctx, shop.mug_white, "DE", TODAY, TODAY) == {TODAY}
        assert demand.censored_days(ctx, shop.mug_black, "DE", TODAY, TODAY) == set()

    shop.stock(unit, shop.mug_white, "DE-FRA", 4)

    with unit(world["merchandiser"]) as ctx:
        assert demand.stockouts(ctx, open_only=True).items == []
        closed = demand.stockouts(ctx).items
        assert len(closed) == 1 and closed[0].ended_at is not None


def test_a_market_still_served_by_another_warehouse_is_not_out_of_stock(unit, world, shop):
    shop.stock(unit, shop.mug_white, "DE-FRA", 1)
    shop.stock(unit, shop.mug_white, "CN-GZ", 5)  # direct mail still serves Germany
    shop.buy(unit, items=[(shop.mug_white, 1)])
    with unit(world["merchandiser"]) as ctx:
        assert demand.stockouts(ctx).items == []


def test_cancelling_the_order_that_took_the_last_unit_ends_the_stockout(unit, world, shop):
    shop.stock(unit, shop.mug_white, "DE-FRA", 1)
    order = shop.buy(unit, items=[(shop.mug_white, 1)])
    with unit(world["merchandiser"]) as ctx:
        orders.cancel_order(ctx, order.id, "buyer changed their mind")
        assert demand.stockouts(ctx, open_only=True).items == []
        assert len(demand.stockouts(ctx).items) == 1


def test_censored_days_cover_every_day_a_stockout_touched(unit, shop):
    start = datetime(2026, 3, 1, 22, 0, tzinfo=UTC)
    with unit() as ctx:
        ctx.session.add(
            signals.StockoutRow(
                id="sto_1",
                sku_id=shop.mug_white,
                market_code="DE",
                started_at=start,
                ended_at=datetime(2026, 3, 4, 0, 0, tzinfo=UTC),  # midnight: 4 March untouched
                source="test",
            )
        )
    with unit() as ctx:
        days = signals.censored_days(
            ctx.session, shop.mug_white, "DE", date(2026, 2, 27), date(2026, 3, 10)
        )
    assert days == {date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)}


# --- the storefront ---------------------------------------------------------------------------


def test_storefront_views_searches_and_carts_add_up_in_their_own_transaction(db, settings, shop):
    rt = Runtime(settings=settings, db=db, clock=FixedClock(datetime(2026, 5, 1, 9, tzinfo=UTC)))
    signals.record_storefront(rt, "US", "view", sku_ids=[shop.mug_white, shop.mug_black])
    signals.record_storefront(rt, "US", "view", sku_ids=[shop.mug_white])
    signals.record_storefront(rt, "US", "add_to_cart", sku_ids=[shop.mug_white])
    signals.record_storefront(rt, "US", "search", category_code="", query="  Linen   SHIRT ")
    signals.record_storefront(rt, "US", "search", query="linen shirt")
    signals.record_storefront(rt, "US", "search", query="   ")  # nothing searched: not counted

    with db.unit_of_work() as uow:
        rows = uow.session.query(signals.SkuSignalRow).all()
        counts = {(r.sku_id, r.kind): r.count for r in rows}
        days = {r.day for r in rows}
        searches = [
            (s.query, s.category_code, s.count, s.source)
            for s in uow.session.query(signals.CategorySignalRow)
        ]
    assert counts == {
        (shop.mug_white, "view"): 2,
        (shop.mug_black, "view"): 1,
        (shop.mug_white, "add_to_cart"): 1,
    }
    assert days == {date(2026, 5, 1)}
    assert searches == [("linen shirt", "", 2, "storefront")]


def test_a_signal_that_cannot_be_stored_is_dropped_without_an_error(db, settings, shop):
    rt = Runtime(settings=settings, db=db, clock=FixedClock(datetime(2026, 5, 1, tzinfo=UTC)))
    signals.record_storefront(rt, "XX", "view", sku_ids=[shop.mug_white])  # no such market
    with db.unit_of_work() as uow:
        assert uow.session.query(signals.SkuSignalRow).count() == 0


def test_a_count_waiting_behind_another_writer_gives_up_instead_of_holding_the_page(
    db, settings, shop
):
    day = datetime(2026, 5, 1, 9, tzinfo=UTC)
    rt = Runtime(settings=settings, db=db, clock=FixedClock(day))
    with db.unit_of_work() as other:  # a writer holding the same row (the database, on SQLite)
        signals.add_sku_counts(
            other.session,
            [SkuCount(day.date(), "US", shop.mug_white, "view", 5)],
            "storefront",
            day,
        )
        started = time.monotonic()
        signals.record_storefront(rt, "US", "view", sku_ids=[shop.mug_white])
        assert time.monotonic() - started < 5  # not the 30 s a SQLite writer would wait
        other.commit()
    with db.unit_of_work() as uow:
        assert [r.count for r in uow.session.query(signals.SkuSignalRow)] == [5]
    signals.record_storefront(rt, "US", "view", sku_ids=[shop.mug_white])  # waits restored
    with db.unit_of_work() as uow:
        assert [r.count for r in uow.session.query(signals.SkuSignalRow)] == [6]


def test_the_search_category_is_the_one_most_results_belong_to():
    assert signals.main_category(["home.kitchen", "toys", "toys", "home.kitchen"]) == (
        "home.kitchen"
    )
    assert signals.main_category(["toys", "toys", "home.kitchen"]) == "toys"
    assert signals.main_category([]) == ""


# --- history for the forecaster ---------------------------------------------------------------


def _add_orders(unit, *counts: SkuCount) -> None:
    with unit() as ctx:
        signals.add_sku_counts(ctx.session, counts, "orders", ctx.now())


def test_history_is_a_dense_daily_grid_from_the_first_order_with_stockouts_flagged(unit, shop):
    first = date(2026, 1, 1)
    _add_orders(
        unit,
        SkuCount(first, "US", shop.mug_white, "order", 3),
        SkuCount(date(2026, 4, 2), "US", shop.mug_white, "order", 2),  # after a gap of months
        SkuCount(date(2026, 4, 1), "DE", shop.mug_black, "order", 1),  # a single observation
        SkuCount(date(2026, 3, 1), "GB", shop.mug_black, "order", 0),  # all zeros: no series
        SkuCount(date(2026, 4, 2), "US", shop.mug_white, "view", 50),  # views are not demand
    )
    with unit() as ctx:
        ctx.session.add(
            signals.StockoutRow(
                id="sto_1",
                sku_id=shop.mug_white,
                market_code="US",
                started_at=datetime(2026, 2, 10, 15, tzinfo=UTC),
                ended_at=datetime(2026, 2, 11, 8, tzinfo=UTC),
                source="test",
            )
        )
    with unit() as ctx:
        frame = signals.history_frame(ctx.session, end=date(2026, 4, 3))

    white = frame[frame.unique_id == f"{shop.mug_white}@US"]
    assert len(white) == 93  # 1 January to 3 April
    assert list(white.columns) == ["unique_id", "ds", "y", "sku_id", "market_code", "censored"]
    assert str(white.ds.dtype) == "datetime64[ns]" and white.y.dtype == float
    assert white.y.sum() == 5.0 and white.y.iloc[0] == 3.0 and white.y.iloc[-2] == 2.0
    flagged = white[white.censored].ds.dt.date.tolist()
    assert flagged == [date(2026, 2, 10), date(2026, 2, 11)]
    black = frame[frame.unique_id == f"{shop.mug_black}@DE"]
    assert black.y.tolist() == [1.0, 0.0, 0.0]
    assert set(frame.unique_id) == {f"{shop.mug_white}@US", f"{shop.mug_black}@DE"}


def test_history_without_orders_is_an_empty_frame_with_the_columns(unit, shop):
    with unit() as ctx:
        frame = signals.history_frame(ctx.session, end=TODAY)
    assert frame.empty
    assert list(frame.columns) == ["unique_id", "ds", "y", "sku_id", "market_code", "censored"]


# --- permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["supplier_a", "compliance", "logistics"])
def test_only_merchandisers_and_admins_read_demand(unit, world, who):
    with unit(world[who]) as ctx, pytest.raises(Forbidden):
        demand.sku_signals(ctx, demand.SignalFilter())


def test_moves_that_change_availability_are_announced(unit, shop):
    with unit() as ctx:
        rows = ledger.post(
            ctx,
            [Move("receipt", shop.lamp, "US-LAX", 2), Move("put_away", shop.lamp, "US-LAX", 2)],
            document_type="test",
            document_id="t",
        )
    assert [r.d_on_hand - r.d_reserved for r in rows] == [0, 2]


def test_top_movers_rank_skus_by_the_change_in_units_per_market(unit, world, shop):
    on = date(2026, 6, 30)
    _add_orders(
        unit,
        SkuCount(date(2026, 6, 20), "US", shop.mug_white, "order", 2),  # previous week
        SkuCount(date(2026, 6, 28), "US", shop.mug_white, "order", 12),  # last week
        SkuCount(date(2026, 6, 21), "US", shop.lamp, "order", 9),
        SkuCount(date(2026, 6, 29), "US", shop.lamp, "order", 4),
        SkuCount(date(2026, 6, 29), "DE", shop.mug_black, "order", 1),
        SkuCount(date(2026, 6, 1), "DE", shop.mug_white, "order", 50),  # too long ago
    )
    with unit(world["merchandiser"]) as ctx:
        movers = demand.top_movers(ctx, on, window_days=7)
    assert {
        m: [(x.sku_code, x.previous, x.recent, str(x.growth)) for x in v] for m, v in movers.items()
    } == {
        "DE": [("MUG-350-BLK", 0, 1, "1.00")],
        "US": [("MUG-350-WHT", 2, 12, "6.00"), ("LAMP-1-WHT", 9, 4, "0.44")],
    }
