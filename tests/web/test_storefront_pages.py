"""The reference storefront's pages over real HTTP: each market's shop in its language and
currency, the cart with duties and taxes as the market expects, and checkout refusals
shown on the page (bad postal code, refused card, out of stock) with nothing bought."""

from __future__ import annotations

import re

import httpx
import pytest

from chuhai.inventory import ledger
from orders.shopping import DECLINED, Shop, build_shop


@pytest.fixture
def shop(unit, world) -> Shop:
    built = build_shop(unit, world)
    built.stock(unit, built.mug_white, "DE-FRA", 2)
    return built


@pytest.fixture
def browser_like(live_server, db):  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=live_server, follow_redirects=True, timeout=30) as c:
        yield c


def _token(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, "the page carries a form token"
    return found.group(1)


def _add(
    c: httpx.Client, market: str, shop: Shop, sku_id: str, quantity: int = 1
) -> httpx.Response:
    product = c.get(f"/shop/{market}/products/{shop.mug_product}")
    assert product.status_code == 200
    return c.post(
        f"/shop/{market}/cart/items",
        data={"csrf_token": _token(product), "sku_id": sku_id, "quantity": str(quantity)},
    )


CHECKOUT = {
    "email": "erika@example.de",
    "name": "Erika Mustermann",
    "line1": "Unter den Linden 1",
    "city": "Berlin",
    "postal_code": "10117",
    "card_number": "4242424242424242",
    "expiry_month": "12",
    "expiry_year": "2031",
    "cvc": "123",
}


def test_each_shop_speaks_its_market_and_shows_tax_as_expected(browser_like, shop):
    german = browser_like.get(f"/shop/DE/products/{shop.mug_product}")
    assert german.status_code == 200 and 'lang="de"' in german.text
    assert "inkl. MwSt." in german.text and "€" in german.text
    us = browser_like.get(f"/shop/US/products/{shop.mug_product}")
    assert "$" in us.text and "sales tax" in us.text
    assert browser_like.get("/shop/DE").text.count('data-testid="shop-product"') == 1
    assert browser_like.get("/shop/XX").status_code == 404
    # a product not on sale in a market has no page there
    assert browser_like.get(f"/shop/JP/products/{shop.mug_product}").status_code == 404


def test_the_cart_quotes_vat_under_ioss_and_checks_out(browser_like, shop, unit):
    cart = _add(browser_like, "DE", shop, shop.mug_white)
    assert "IOSS" in cart.text and 'data-testid="vat"' in cart.text
    assert "Aktualisieren" in cart.text and "Zur Kasse" in cart.text
    placed = browser_like.post("/shop/DE/checkout", data={**CHECKOUT, "csrf_token": _token(cart)})
    assert placed.status_code == 200 and "/orders/" in str(placed.url)
    assert 'data-testid="order-state">allocated' in placed.text
    # pressing Pay again (a second tab, a double click) shows the same order, buys nothing more
    again = browser_like.post("/shop/DE/checkout", data={**CHECKOUT, "csrf_token": _token(cart)})
    assert str(again.url).split("?")[0] == str(placed.url).split("?")[0]
    with unit() as ctx:
        assert ledger.balance(ctx.session, shop.mug_white, "DE-FRA").available == 1


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"postal_code": "1011"}, 422, "postal"),
        ({"card_number": DECLINED}, 402, "declined"),
        ({"email": "not-an-email"}, 422, "email"),
    ],
)
def test_a_refused_checkout_is_shown_on_the_page_and_buys_nothing(
    browser_like, shop, unit, change, status, message
):
    cart = _add(browser_like, "DE", shop, shop.mug_white)
    refused = browser_like.post(
        "/shop/DE/checkout", data={**CHECKOUT, **change, "csrf_token": _token(cart)}
    )
    assert refused.status_code == status
    assert message in refused.text.lower()
    assert 'data-testid="checkout-error"' in refused.text
    with unit() as ctx:
        assert ledger.balance(ctx.session, shop.mug_white, "DE-FRA").available == 2


def test_out_of_stock_and_foreign_forms_are_refused(browser_like, shop):
    cart = _add(browser_like, "DE", shop, shop.mug_black, 3)  # none anywhere
    refused = browser_like.post("/shop/DE/checkout", data={**CHECKOUT, "csrf_token": _token(cart)})
    assert refused.status_code == 409 and "stock" in refused.text.lower()
    # a form posted from elsewhere (no matching token) changes nothing
    forged = browser_like.post(
        "/shop/DE/cart/items", data={"csrf_token": "forged", "sku_id": shop.mug_white}
    )
    assert forged.status_code == 403
    bad_quantity = _add(browser_like, "DE", shop, shop.mug_white, -4)
    assert "quantity" in bad_quantity.text.lower()


def test_a_shopper_in_china_buys_at_home_in_yuan(browser_like, unit, world):
    from chuhai.catalog import service as catalog
    from chuhai.core.auth import STOREFRONT
    from chuhai.orders import service as orders
    from chuhai.pricing import service as pricing
    from orders.shopping import card

    from helpers import draft, list_product

    product_id = list_product(unit, world, draft("TEA-1", target_markets=["CN"]), ["CN"])
    with unit(world["merchandiser"]) as ctx:
        pricing.rebuild_price_book(ctx)
        sku_id = catalog.skus_of(ctx.session, product_id)[0].id
    with unit() as ctx:
        ledger.post(
            ctx,
            [
                ledger.Move("receipt", sku_id, "CN-GZ", 5),
                ledger.Move("put_away", sku_id, "CN-GZ", 5),
            ],
            document_type="test",
            document_id="opening-stock",
        )
    page = browser_like.get(f"/shop/CN/products/{product_id}")
    assert page.status_code == 200 and 'lang="zh"' in page.text
    assert "含税" in page.text and "¥" in page.text
    shanghai = orders.Address("王芳", "南京东路100号", "黄浦区", "200001", "CN", region="上海市")
    with unit(STOREFRONT) as ctx:
        order = orders.checkout(
            ctx,
            market_code="CN",
            items=[(sku_id, 1)],
            email="wangfang@example.cn",
            address=shanghai,
            card=card(),
        )
        view = orders.order_view(ctx, order.id)
        assert (order.currency, order.route) == ("CNY", "domestic")
        assert [a.route for a in view.allocations] == ["domestic"]
