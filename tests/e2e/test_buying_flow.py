"""Buying abroad, end to end in a real browser: a German shopper (price with VAT, the
import VAT collected under IOSS because the basket is under 150 EUR) and a US shopper buy
from the reference storefront; the warehouse picks and ships both orders; the sandbox
carrier's tracking events take them to delivered; the German buyer returns the goods and
is refunded."""

from __future__ import annotations

import re
from datetime import timedelta

from chuhai.catalog import service as catalog
from chuhai.core.auth import SYSTEM
from chuhai.core.clock import FixedClock, SystemClock
from chuhai.core.context import Context
from chuhai.fulfillment import service as fulfillment
from chuhai.inventory import ledger
from chuhai.inventory.ledger import Move
from chuhai.pricing import service as pricing

from helpers import draft, import_fx, list_product, sku

RATES = {"EUR": "0.1300", "GBP": "0.1100", "USD": "0.1400", "AUD": "0.2150", "JPY": "21.00"}
ORDER_URL = re.compile(r"/shop/(\w+)/orders/([\w-]+)")


def _stocked_mug(unit, world) -> str:  # type: ignore[no-untyped-def]
    """A listed, priced mug with 20 units in Frankfurt and 20 in Los Angeles."""
    product = draft(
        "MUG-E2E",
        title_en="Speckled stoneware mug",
        skus=[sku("MUG-E2E-SPK", "18.00", options={"colour": "speckled"})],
        target_markets=["US", "DE"],
    )
    product_id = list_product(unit, world, product, ["US", "DE"])
    today = SystemClock().now().date()
    import_fx(unit, world, today.isoformat(), RATES)
    with unit(world["merchandiser"]) as ctx:
        sku_id = catalog.skus_of(ctx.session, product_id)[0].id
        pricing.rebuild_price_book(ctx)
    with unit(SYSTEM) as ctx:
        for warehouse in ("DE-FRA", "US-LAX"):
            ledger.post(
                ctx,
                [Move("receipt", sku_id, warehouse, 20), Move("put_away", sku_id, warehouse, 20)],
                document_type="test",
                document_id="opening-stock",
            )
    return product_id


def _buy(browser_context, market: str, product_id: str, address: dict[str, str]):  # type: ignore[no-untyped-def]
    shop = browser_context.new_page()
    shop.goto(f"/shop/{market}/products/{product_id}")
    shop.get_by_test_id("add-to-cart").click()
    shop.wait_for_url(f"**/shop/{market}/cart")
    for name, value in address.items():
        shop.fill(f"input[name={name}]", value)
    shop.fill("input[name=card_number]", "4242 4242 4242 4242")
    shop.fill("input[name=expiry_month]", "12")
    shop.fill("input[name=expiry_year]", "2030")
    shop.fill("input[name=cvc]", "123")
    return shop


def _pay(shop) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    shop.get_by_test_id("pay").click()
    shop.wait_for_url(ORDER_URL)
    number = shop.get_by_test_id("order-number").inner_text().strip()
    return number, shop.get_by_test_id("order-state").inner_text().strip()


def _operator_open(page, number: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/orders?q={number}")
    page.get_by_test_id("order-link").first.click()
    page.wait_for_load_state()


def test_german_and_us_shoppers_buy_receive_and_return(  # type: ignore[no-untyped-def]
    browser, live_server, console, unit, world, db, settings
):
    product_id = _stocked_mug(unit, world)
    buyers = browser.new_context(base_url=live_server, locale="de-DE")

    # Germany: prices include VAT; a basket under 150 EUR has its import VAT taken under IOSS
    german = _buy(
        buyers,
        "DE",
        product_id,
        {
            "email": "anna@example.de",
            "name": "Anna Schmidt",
            "line1": "Hauptstraße 5",
            "city": "Berlin",
            "postal_code": "10115",
        },
    )
    assert "inkl. MwSt." in german.content() or german.get_by_test_id("vat").is_visible()
    assert "€" in german.get_by_test_id("total").inner_text()
    assert "IOSS" in german.get_by_test_id("regime-note").inner_text()
    german.fill("input[name=postal_code]", "1011")  # German postal codes have five digits
    german.get_by_test_id("pay").click()
    assert german.get_by_role("alert").first.is_visible()
    german.fill("input[name=postal_code]", "10115")
    german.fill("input[name=card_number]", "4242 4242 4242 4242")
    german.fill("input[name=cvc]", "123")
    de_number, de_state = _pay(german)
    assert de_state == "allocated"

    # the United States: prices in dollars, shipped from Los Angeles
    us = _buy(
        buyers,
        "US",
        product_id,
        {
            "email": "sam@example.com",
            "name": "Sam Lee",
            "line1": "1 Main St",
            "city": "Austin",
            "region": "TX",
            "postal_code": "73301",
        },
    )
    assert "$" in us.get_by_test_id("total").inner_text()
    us_number, us_state = _pay(us)
    assert us_state == "allocated"

    # the warehouse picks and ships both
    logistics = console("logistics")
    for number in (de_number, us_number):
        _operator_open(logistics, number)
        logistics.get_by_test_id("pick").click()
        logistics.wait_for_load_state()
        logistics.get_by_test_id("ship").click()
        logistics.wait_for_load_state()
        assert logistics.get_by_test_id("order-state").inner_text().strip() == "shipped"

    # a week later the sandbox carrier has delivered both and told us through the webhook
    week_later = FixedClock(SystemClock().now() + timedelta(days=7))
    with db.unit_of_work() as uow:
        fulfillment.push_sandbox_events(Context(uow.session, SYSTEM, week_later, settings))
        uow.commit()
    for page in (german, us):
        page.reload()
        assert page.get_by_test_id("order-state").inner_text().strip() == "delivered"
        assert page.get_by_test_id("shipment-state").first.inner_text().strip() == "delivered"

    # the German buyer sends the mug back: authorised, received, restocked, refunded
    merchandiser = console("merchandiser")
    _operator_open(merchandiser, de_number)
    form = merchandiser.get_by_test_id("authorise-return")
    form.locator("input[type=number]").first.fill("1")
    form.locator("input[name=reason]").fill("arrived chipped")
    form.get_by_role("button").click()
    merchandiser.wait_for_load_state()
    receive = merchandiser.get_by_test_id("receive-return")
    receive.locator("select[name=warehouse_id]").select_option("DE-FRA")
    receive.get_by_role("button").click()
    merchandiser.wait_for_load_state()
    assert "Return received and refunded" in merchandiser.content()
    assert "Refunded" in merchandiser.content()
    assert "· Logistics ·" in merchandiser.content()  # the history names who picked and shipped

    with db.unit_of_work() as uow:
        assert ledger.verify(uow.session) == []
    buyers.close()
