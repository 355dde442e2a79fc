"""Checkout through the service: what an order stores as charged, where its stock comes from,
and every bad input refused with its field named and nothing left behind."""

from __future__ import annotations

from dataclasses import replace

import pytest
from shopping import BERLIN, DECLINED, NO_FUNDS, SAN_FRANCISCO, TIMES_OUT, Shop, build_shop, card
from sqlalchemy import func, select

from chuhai.core.auth import STOREFRONT
from chuhai.core.errors import Conflict, OutOfStock, PaymentFailed, ValidationFailed
from chuhai.inventory import ledger
from chuhai.orders import service as orders
from chuhai.orders.payments import provider_for
from chuhai.orders.tables import OrderRow, SandboxPaymentRow


@pytest.fixture
def shop(unit, world) -> Shop:
    return build_shop(unit, world)


def _orders(unit) -> int:
    with unit() as ctx:
        return int(ctx.session.scalar(select(func.count()).select_from(OrderRow)) or 0)


def _available(unit, sku_id: str, warehouse: str) -> int:
    with unit() as ctx:
        return ledger.balance(ctx.session, sku_id, warehouse).available


def test_a_german_order_stores_what_was_charged_and_reserves_in_frankfurt(unit, world, shop):
    shop.stock(unit, shop.mug_white, "DE-FRA", 5)
    shop.stock(unit, shop.mug_white, "CN-GZ", 50)
    order = shop.buy(unit, items=[(shop.mug_white, 2)])
    with unit(world["merchandiser"]) as ctx:
        view = orders.order_view(ctx, order.id)
        quote = orders.Quote  # the type the contract re-exports
        assert quote is not None
    o = view.order
    assert (o.state, o.currency, o.route, o.terms) == ("allocated", "EUR", "9610", "DDP")
    assert o.regime.startswith("low value: VAT collected at checkout")  # IOSS under 150 EUR
    assert o.goods + o.duty + o.vat == o.total > 0
    assert o.fx_rate == "0.13" and o.fx_on
    [line] = view.lines
    assert (line.quantity, line.line_total) == (2, line.unit_price * 2)
    assert line.unit_vat > 0
    [allocation] = view.allocations
    assert (allocation.warehouse_id, allocation.quantity, allocation.route) == ("DE-FRA", 2, "9810")
    assert allocation.reason == "DE-FRA has all 2 units; 2 days vs 8 from CN-GZ"
    assert set(allocation.scores) == {"DE-FRA", "CN-GZ", "CN-YW"}
    assert allocation.strategy == "fastest"
    [payment] = view.payments
    assert (payment.state, payment.amount, payment.card_last4) == ("captured", o.total, "4242")
    assert [(h.from_state, h.to_state) for h in view.history] == [
        (None, "placed"),
        ("placed", "paid"),
        ("paid", "allocated"),
    ]
    assert all(h.actor_id == "storefront" for h in view.history)
    assert _available(unit, shop.mug_white, "DE-FRA") == 3
    with unit() as ctx:
        assert ledger.verify(ctx.session) == []


def test_without_overseas_stock_the_order_ships_from_china_by_direct_mail(unit, shop):
    shop.stock(unit, shop.mug_white, "CN-GZ", 10)
    order = shop.buy(unit, market="US")
    with unit() as ctx:
        [allocation] = orders.order_view(ctx, order.id).allocations
    assert (allocation.warehouse_id, allocation.route) == ("CN-GZ", "9610")
    assert "direct mail from China (9610)" in allocation.reason
    assert "US-LAX faster but short of stock" in allocation.reason


def test_an_order_no_single_warehouse_holds_is_split_across_as_few_as_possible(unit, shop):
    shop.stock(unit, shop.mug_white, "US-LAX", 3)
    shop.stock(unit, shop.lamp, "CN-YW", 2)
    shop.stock(unit, shop.mug_white, "CN-GZ", 1)
    order = shop.buy(unit, market="US", items=[(shop.mug_white, 3), (shop.lamp, 1)])
    with unit() as ctx:
        allocations = orders.order_view(ctx, order.id).allocations
    picks = {(a.sku_id, a.warehouse_id, a.quantity) for a in allocations}
    assert picks == {(shop.mug_white, "US-LAX", 3), (shop.lamp, "CN-YW", 1)}


@pytest.mark.parametrize(
    ("quantity", "message"),
    [(0, "from 1 to 100"), (-2, "from 1 to 100"), (10_000_000, "from 1 to 100"), (True, "whole")],
)
def test_bad_quantities_are_refused_naming_the_line(unit, shop, quantity, message):
    shop.stock(unit, shop.mug_white, "DE-FRA", 5)
    with pytest.raises(ValidationFailed) as caught:
        shop.buy(unit, items=[(shop.mug_black, 1), (shop.mug_white, quantity)])
    assert caught.value.errors[0].field == "items[1].quantity"
    assert message in caught.value.errors[0].message
    assert _orders(unit) == 0


def test_too_many_lines_and_an_empty_basket_are_refused(unit, shop):
    with pytest.raises(ValidationFailed) as caught:
        shop.buy(unit, items=[(f"sku_{n}", 1) for n in range(51)])
    assert caught.value.errors[0].field == "items"
    with pytest.raises(ValidationFailed) as caught:
        shop.buy(unit, items=[])
    assert caught.value.errors[0].field == "items"


def test_unlisted_delisted_and_not_sold_here_skus_are_refused_naming_each(unit, shop):
    items = [(shop.mug_white, 1), (shop.unlisted, 1), (shop.delisted, 1), (shop.lamp, 1)]
    items.append(("sku_that_does_not_exist", 1))
    with pytest.raises(ValidationFailed) as caught:
        shop.buy(unit, items=items)
    assert [(e.field, e.message) for e in caught.value.errors] == [
        (f"items[{i}].sku_id", "not on sale in DE") for i in (1, 2, 3, 4)
    ]
    assert _orders(unit) == 0


@pytest.mark.parametrize(
    ("address", "field"),
    [
        (replace(BERLIN, postal_code="1011"), "address.postal_code"),
        (replace(BERLIN, postal_code="ABCDE"), "address.postal_code"),
        (replace(BERLIN, country_code="FR", postal_code="75001"), "address.country_code"),
        (replace(BERLIN, line1=" "), "address.line1"),
        (replace(BERLIN, name=""), "address.name"),
    ],
)
def test_a_german_address_that_fails_the_rules_is_refused(unit, shop, address, field):
    shop.stock(unit, shop.mug_white, "DE-FRA", 5)
    with pytest.raises(ValidationFailed) as caught:
        shop.buy(unit, address=address)
    assert caught.value.errors[0].field == field
    assert _orders(unit) == 0


def test_a_us_zip_code_must_belong_to_the_state(unit, shop):
    shop.stock(unit, shop.mug_white, "US-LAX", 5)
    with pytest.raises(ValidationFailed) as caught:
        shop.buy(unit, market="US", address=replace(SAN_FRANCISCO, region="NY"))
    assert caught.value.errors[0].field == "address.postal_code"
    with pytest.raises(ValidationFailed) as caught:
        shop.buy(unit, market="US", address=replace(SAN_FRANCISCO, region=""))
    assert caught.value.errors[0].field == "address.region"
    order = shop.buy(unit, market="US", address=replace(SAN_FRANCISCO, postal_code="94105-1420"))
    assert order.ship_to["postal_code"] == "94105-1420"


def test_bad_email_and_card_are_each_named(unit, shop):
    bad_card = orders.Card(number="4242 4242 4242 4241", expiry_month=1, expiry_year=2020, cvc="12")
    with pytest.raises(ValidationFailed) as caught:
        shop.buy(unit, email="not-an-email", card=bad_card)
    assert [e.field for e in caught.value.errors] == [
        "email",
        "card.number",
        "card.expiry_year",
        "card.cvc",
    ]
    assert "4242" not in repr(bad_card).replace("****4241", "")


@pytest.mark.parametrize(
    ("number", "reason"),
    [(DECLINED, "the card was declined"), (NO_FUNDS, "the card has insufficient funds")],
)
def test_a_refused_payment_leaves_no_order_and_no_reservation(unit, shop, number, reason):
    shop.stock(unit, shop.mug_white, "DE-FRA", 5)
    with pytest.raises(PaymentFailed) as caught:
        shop.buy(unit, card=card(number))
    assert caught.value.status == 402
    assert reason in caught.value.detail
    assert _orders(unit) == 0
    assert _available(unit, shop.mug_white, "DE-FRA") == 5
    with unit() as ctx:
        assert ledger.verify(ctx.session) == []


def test_a_payment_that_times_out_is_voided_and_leaves_nothing(unit, shop, settings):
    shop.stock(unit, shop.mug_white, "DE-FRA", 5)
    with pytest.raises(PaymentFailed) as caught:
        shop.buy(unit, card=card(TIMES_OUT))
    assert "did not answer in time" in caught.value.detail
    assert _orders(unit) == 0
    assert _available(unit, shop.mug_white, "DE-FRA") == 5
    with unit() as ctx:
        sandbox = provider_for(settings, ctx.clock)
    operations = sandbox.operations(card_last4="0119")  # type: ignore[attr-defined]
    assert [(op.operation, op.status) for op in operations[-2:]] == [
        ("authorise", "approved"),
        ("void", "approved"),
    ]


def test_nothing_in_stock_is_a_conflict_naming_the_sku(unit, shop):
    shop.stock(unit, shop.mug_white, "DE-FRA", 1)
    with pytest.raises(OutOfStock) as caught:
        shop.buy(unit, items=[(shop.mug_white, 2)])
    assert caught.value.status == 409
    assert "MUG-350-WHT (1 more than available)" in caught.value.detail
    assert _orders(unit) == 0


def test_captured_money_is_refunded_when_the_order_is_not_stored(unit, db, settings, shop):
    shop.stock(unit, shop.mug_white, "DE-FRA", 5)
    with db.unit_of_work() as uow:  # the transaction never commits
        from chuhai.core.clock import SystemClock
        from chuhai.core.context import Context

        ctx = Context(uow.session, STOREFRONT, SystemClock(), settings)
        order = orders.checkout(
            ctx,
            market_code="DE",
            items=[(shop.mug_white, 1)],
            email="buyer@example.com",
            address=BERLIN,
            card=card("5555 5555 5555 4444"),
        )
        number = order.number
    assert _orders(unit) == 0
    sandbox = provider_for(settings, SystemClock())
    [auth] = sandbox.operations(reference=number)  # type: ignore[attr-defined]
    with sandbox._sessions() as session:  # type: ignore[attr-defined]
        rows = session.scalars(
            select(SandboxPaymentRow).where(SandboxPaymentRow.card_last4 == "4444")
        ).all()
    assert [(r.operation, r.amount) for r in rows][-3:] == [
        ("authorise", auth.amount),
        ("capture", auth.amount),
        ("refund", auth.amount),
    ]


def test_a_cart_checks_out_once(unit, shop):
    shop.stock(unit, shop.mug_white, "DE-FRA", 5)
    with unit(STOREFRONT) as ctx:
        cart = orders.create_cart(ctx, "DE")
        orders.set_cart_item(ctx, cart.id, shop.mug_white, 2)
        orders.set_cart_item(ctx, cart.id, shop.mug_black, 1)
        orders.set_cart_item(ctx, cart.id, shop.mug_black, 0)
        quote = orders.cart_quote(ctx, cart.id)
        cart_id = cart.id
    assert quote is not None and [(x.sku_id, x.quantity) for x in quote.lines] == [
        (shop.mug_white, 2)
    ]
    order = shop.buy(unit, items=[(shop.mug_white, 2)], cart_id=cart_id)
    assert order.total == quote.total
    with unit(STOREFRONT) as ctx:
        assert orders.get_cart(ctx, cart_id).order_id == order.id
        with pytest.raises(Conflict):
            orders.set_cart_item(ctx, cart_id, shop.mug_white, 1)
    with pytest.raises(Conflict) as caught:
        shop.buy(unit, items=[(shop.mug_white, 2)], cart_id=cart_id)
    assert caught.value.field == "cart_id"


def test_a_cart_refuses_what_checkout_would(unit, shop):
    with unit(STOREFRONT) as ctx:
        cart = orders.create_cart(ctx, "DE")
        for sku, quantity, field in (
            (shop.mug_white, 101, "quantity"),
            (shop.mug_white, -1, "quantity"),
            (shop.lamp, 1, "sku_id"),
            (shop.unlisted, 1, "sku_id"),
        ):
            with pytest.raises(ValidationFailed) as caught:
                orders.set_cart_item(ctx, cart.id, sku, quantity)
            assert caught.value.errors[0].field == field
        assert orders.cart_quote(ctx, cart.id) is None


def test_the_shop_shows_what_is_on_sale_in_the_markets_language(unit, shop):
    shop.stock(unit, shop.mug_white, "DE-FRA", 1)
    with unit(STOREFRONT) as ctx:
        page = orders.shop_products(ctx, "DE")
        us = orders.shop_products(ctx, "US", search="lamp")
        from chuhai.core.errors import NotFound

        with pytest.raises(NotFound):
            orders.shop_product(ctx, "DE", us.items[0].product_id)  # the lamp: US only
    [mug] = page.items
    assert mug.title == "350 ml ceramic mug"
    assert {s.sku_code: (s.available, s.currency) for s in mug.skus} == {
        "MUG-350-WHT": (True, "EUR"),
        "MUG-350-BLK": (False, "EUR"),
    }
    assert [p.title for p in us.items] == ["Desk lamp"]
