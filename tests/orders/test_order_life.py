"""After checkout: pick, ship (one shipment per warehouse), delivered when every shipment is,
cancellation before shipping, returns after delivery, and refunds through the provider."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from shopping import Shop, build_shop

from chuhai.core.errors import Conflict, InvalidTransition, ValidationFailed
from chuhai.fulfillment import service as fulfillment
from chuhai.fulfillment.model import TrackingEvent
from chuhai.inventory import ledger
from chuhai.orders import service as orders
from chuhai.orders.payments import provider_for


@pytest.fixture
def shop(unit, world) -> Shop:
    return build_shop(unit, world)


def _deliver(unit, order_id: str, only: int | None = None) -> None:
    """The carrier reports shipments of the order delivered (all, or just the first n)."""
    with unit() as ctx:
        shipments = fulfillment.shipments_of_order(ctx.session, order_id)[:only]
        for shipment in shipments:
            event = TrackingEvent(
                event_id=f"evt-{shipment.id}",
                tracking_number=shipment.tracking_number,
                status="delivered",
                occurred_at=datetime.now(UTC),
                location="front door",
            )
            fulfillment.apply_carrier_events(ctx, shipment.carrier, [event])


def _shipped(unit, world, order_id: str) -> None:
    with unit(world["logistics"]) as ctx:
        orders.pick_order(ctx, order_id)
        orders.ship_order(ctx, order_id)


def _balance(unit, sku_id: str, warehouse: str):
    with unit() as ctx:
        return ledger.balance(ctx.session, sku_id, warehouse)


def test_an_order_is_picked_shipped_per_warehouse_and_delivered_when_all_arrive(unit, world, shop):
    shop.stock(unit, shop.mug_white, "US-LAX", 2)
    shop.stock(unit, shop.lamp, "CN-GZ", 1)
    order = shop.buy(unit, market="US", items=[(shop.mug_white, 2), (shop.lamp, 1)])
    _shipped(unit, world, order.id)
    with unit(world["logistics"]) as ctx:
        view = orders.order_view(ctx, order.id)
    assert view.order.state == "shipped"
    assert sorted(s.warehouse_id for s in view.shipments) == ["CN-GZ", "US-LAX"]
    assert {a.state for a in view.allocations} == {"shipped"}
    mug = _balance(unit, shop.mug_white, "US-LAX")
    assert (mug.on_hand, mug.reserved, mug.picked) == (0, 0, 0)

    _deliver(unit, order.id, only=1)
    with unit(world["logistics"]) as ctx:
        assert orders.order_view(ctx, order.id).order.state == "shipped"
    _deliver(unit, order.id)
    with unit(world["logistics"]) as ctx:
        view = orders.order_view(ctx, order.id)
    assert view.order.state == "delivered"
    assert view.history[-1].reason == "2 shipments delivered"
    assert [h.action for h in view.history] == [
        "place",
        "pay",
        "allocate",
        "pick",
        "ship",
        "deliver",
    ]
    assert view.actions == ["return"]
    with unit() as ctx:
        assert ledger.verify(ctx.session) == []


def test_picking_needs_the_logistics_role(unit, world, shop):
    shop.stock(unit, shop.mug_white, "DE-FRA", 1)
    order = shop.buy(unit)
    from chuhai.core.errors import Forbidden

    with unit(world["finance"]) as ctx, pytest.raises(Forbidden):
        orders.pick_order(ctx, order.id)


def test_cancelling_an_allocated_order_releases_the_stock_and_refunds(unit, world, shop, settings):
    shop.stock(unit, shop.mug_white, "DE-FRA", 3)
    order = shop.buy(unit, items=[(shop.mug_white, 2)])
    with unit(world["merchandiser"]) as ctx:
        orders.cancel_order(ctx, order.id, "buyer changed their mind")
    with unit(world["merchandiser"]) as ctx:
        view = orders.order_view(ctx, order.id)
    assert view.order.state == "cancelled"
    assert view.order.refunded == view.order.total
    [refund] = view.refunds
    assert refund.amount == view.order.total
    assert "refunded" in view.history[-1].reason
    assert _balance(unit, shop.mug_white, "DE-FRA").available == 3
    with unit() as ctx:
        sandbox = provider_for(settings, ctx.clock)
        assert refund.provider_ref in {op.ref for op in sandbox.operations(card_last4="4242")}  # type: ignore[attr-defined]


def test_cancelling_a_picked_order_puts_the_units_back_on_the_shelf(unit, world, shop):
    shop.stock(unit, shop.mug_white, "DE-FRA", 3)
    order = shop.buy(unit, items=[(shop.mug_white, 2)])
    with unit(world["logistics"]) as ctx:
        orders.pick_order(ctx, order.id)
    assert _balance(unit, shop.mug_white, "DE-FRA").picked == 2
    with unit(world["logistics"]) as ctx:
        orders.cancel_order(ctx, order.id, "parcel damaged while packing; buyer asked to cancel")
    got = _balance(unit, shop.mug_white, "DE-FRA")
    assert (got.on_hand, got.reserved, got.picked, got.available) == (3, 0, 0, 3)
    with unit() as ctx:
        assert ledger.verify(ctx.session) == []


def test_a_shipped_order_cannot_be_cancelled_and_a_reason_is_required(unit, world, shop):
    shop.stock(unit, shop.mug_white, "DE-FRA", 3)
    order = shop.buy(unit)
    with unit(world["merchandiser"]) as ctx, pytest.raises(ValidationFailed) as caught:
        orders.cancel_order(ctx, order.id, " ")
    assert caught.value.errors[0].field == "reason"
    _shipped(unit, world, order.id)
    with unit(world["merchandiser"]) as ctx, pytest.raises(InvalidTransition) as refused:
        orders.cancel_order(ctx, order.id, "too late")
    assert refused.value.extra["current_state"] == "shipped"


def test_a_return_for_an_order_not_delivered_is_refused(unit, world, shop):
    shop.stock(unit, shop.mug_white, "DE-FRA", 3)
    order = shop.buy(unit)
    _shipped(unit, world, order.id)
    with unit(world["merchandiser"]) as ctx, pytest.raises(Conflict) as caught:
        orders.authorise_return(ctx, order.id, [(shop.mug_white, 1)], "does not fit")
    assert caught.value.status == 409
    assert caught.value.extra["current_state"] == "shipped"


def test_returns_restock_or_write_off_and_refund_the_lines_as_charged(unit, world, shop):
    shop.stock(unit, shop.mug_white, "DE-FRA", 3)
    shop.stock(unit, shop.mug_black, "DE-FRA", 3)
    order = shop.buy(unit, items=[(shop.mug_white, 2), (shop.mug_black, 1)])
    _shipped(unit, world, order.id)
    _deliver(unit, order.id)
    with unit(world["merchandiser"]) as ctx:
        view = orders.order_view(ctx, order.id)
        white = next(line for line in view.lines if line.sku_id == shop.mug_white)
        first = orders.authorise_return(ctx, order.id, [(shop.mug_white, 1)], "chipped")
        with pytest.raises(ValidationFailed) as caught:
            orders.authorise_return(ctx, order.id, [(shop.mug_white, 2)], "both chipped")
        assert caught.value.errors[0].field == "lines[0].quantity"
        assert "from 1 to 1" in caught.value.errors[0].message
        with pytest.raises(ValidationFailed) as caught:
            orders.authorise_return(ctx, order.id, [(shop.lamp, 1)], "not mine")
        assert caught.value.errors[0].field == "lines[0].sku_id"
        second = orders.authorise_return(
            ctx, order.id, [(shop.mug_white, 1), (shop.mug_black, 1)], "wrong colour"
        )
    with unit(world["logistics"]) as ctx:
        with pytest.raises(ValidationFailed) as caught:
            orders.receive_return(ctx, first.id, "DE-FRA", {shop.mug_white: "burn"})
        assert caught.value.errors[0].field == f"outcomes.{shop.mug_white}"
        orders.receive_return(ctx, first.id, "DE-FRA", {shop.mug_white: "write_off"})
        orders.receive_return(
            ctx, second.id, "DE-FRA", {shop.mug_white: "restock", shop.mug_black: "restock"}
        )
        with pytest.raises(Conflict):
            orders.receive_return(ctx, second.id, "DE-FRA", {})
    with unit(world["merchandiser"]) as ctx:
        view = orders.order_view(ctx, order.id)
    black = next(line for line in view.lines if line.sku_id == shop.mug_black)
    assert [r.state for r in view.returns] == ["refunded", "refunded"]
    assert view.order.refunded == 2 * white.unit_price + black.unit_price
    both = white.unit_price + black.unit_price
    assert [r.amount for r in view.refunds] == [white.unit_price, both]
    assert view.actions == []  # everything came back
    # 2 white shipped; 1 back and written off, 1 back on the shelf; black back on the shelf
    assert _balance(unit, shop.mug_white, "DE-FRA").on_hand == 2
    assert _balance(unit, shop.mug_black, "DE-FRA").on_hand == 3
    with unit() as ctx:
        assert ledger.verify(ctx.session) == []


def test_the_buyer_finds_the_order_only_with_number_and_email(unit, world, shop):
    from chuhai.core.auth import STOREFRONT
    from chuhai.core.errors import NotFound

    shop.stock(unit, shop.mug_white, "DE-FRA", 1)
    order = shop.buy(unit, email="Erika@Example.com")
    with unit(STOREFRONT) as ctx:
        assert orders.find_order(ctx, order.number.lower(), "erika@example.com").id == order.id
        with pytest.raises(NotFound):
            orders.find_order(ctx, order.number, "someone@example.com")
        with pytest.raises(NotFound):
            orders.find_order(ctx, "CH-22222222", "erika@example.com")


def test_staff_list_orders_by_state_market_and_search(unit, world, shop):
    shop.stock(unit, shop.mug_white, "DE-FRA", 5)
    shop.stock(unit, shop.mug_white, "US-LAX", 5)
    german = shop.buy(unit, email="erika@example.com")
    shop.buy(unit, market="US", email="jane@example.com")
    with unit(world["finance"]) as ctx:
        assert [o.id for o in orders.list_orders(ctx, market_code="DE").items] == [german.id]
        assert orders.list_orders(ctx, search="jane@").total == 1
        assert orders.list_orders(ctx, state="allocated").total == 2
        assert orders.list_orders(ctx, state="shipped").total == 0
        with pytest.raises(ValidationFailed):
            orders.list_orders(ctx, state="lost")
