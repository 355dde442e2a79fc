"""The storefront over real HTTP, without a token: browse, fill a cart, check out with an
Idempotency-Key, look the order up; refusals as problem+json naming the field."""

from __future__ import annotations

import uuid

import pytest

from orders.shopping import BERLIN, DECLINED, Shop, build_shop


@pytest.fixture
def shop(unit, world) -> Shop:
    return build_shop(unit, world)


def _checkout_body(shop: Shop, **changes):
    body = {
        "email": "erika@example.com",
        "address": {k: v for k, v in BERLIN.as_dict().items() if v},
        "card": {
            "number": "4242424242424242",
            "expiry_month": 12,
            "expiry_year": 2099,
            "cvc": "123",
        },
        "items": [{"sku_id": shop.mug_white, "quantity": 1}],
    }
    body.update(changes)
    return body


def test_a_shopper_browses_fills_a_cart_checks_out_and_finds_the_order(client, unit, shop):
    shop.stock(unit, shop.mug_white, "DE-FRA", 5)
    api = client()
    page = api.get("/storefront/de/products", params={"q": "mug"}).json()
    [mug] = page["items"]
    assert {s["sku_code"]: s["price"]["currency"] for s in mug["skus"]} == {
        "MUG-350-BLK": "EUR",
        "MUG-350-WHT": "EUR",
    }
    assert api.get(f"/storefront/DE/products/{mug['product_id']}").status_code == 200
    cart = api.post("/storefront/DE/carts", headers={"Idempotency-Key": str(uuid.uuid4())})
    assert cart.status_code == 201
    cart_id = cart.json()["id"]
    filled = api.put(
        f"/storefront/carts/{cart_id}/items", json={"sku_id": shop.mug_white, "quantity": 2}
    )
    quote = filled.json()["quote"]
    assert quote["total"]["currency"] == "EUR" and quote["regime"].startswith("low value")
    body = _checkout_body(shop, items=[], cart_id=cart_id)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    placed = api.post("/storefront/DE/checkout", json=body, headers=key)
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["state"] == "allocated" and order["total"] == quote["total"]
    assert [line["quantity"] for line in order["lines"]] == [2]
    again = api.post("/storefront/DE/checkout", json=body, headers=key)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == order["number"]
    found = api.get(f"/storefront/orders/{order['number']}", params={"email": "ERIKA@example.com"})
    assert found.json()["number"] == order["number"]
    assert (
        api.get(f"/storefront/orders/{order['number']}", params={"email": "x@y.de"}).status_code
        == 404
    )
    assert api.get(f"/storefront/carts/{cart_id}").json()["order_id"] is not None


def test_refusals_are_problems_naming_the_field(client, unit, shop):
    shop.stock(unit, shop.mug_white, "DE-FRA", 1)
    api = client()
    bad = api.post(
        "/storefront/DE/checkout",
        json=_checkout_body(shop, items=[{"sku_id": shop.lamp, "quantity": 0}]),
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in bad.json()["errors"]] == ["items[0].quantity", "items[0].sku_id"]
    refused = api.post(
        "/storefront/DE/checkout",
        json=_checkout_body(
            shop, card={"number": DECLINED, "expiry_month": 1, "expiry_year": 2099, "cvc": "1"}
        ),
    )
    assert refused.status_code == 422  # a bad CVC is caught before the card is tried
    refused = api.post(
        "/storefront/DE/checkout",
        json=_checkout_body(
            shop, card={"number": DECLINED, "expiry_month": 1, "expiry_year": 2099, "cvc": "123"}
        ),
    )
    assert refused.status_code == 402
    assert refused.json()["decline_code"] == "card_declined"
    gone = api.post(
        "/storefront/DE/checkout",
        json=_checkout_body(shop, items=[{"sku_id": shop.mug_white, "quantity": 2}]),
    )
    assert gone.status_code == 409 and gone.json()["type"].endswith("/out-of-stock")
    short_key = api.post("/storefront/DE/carts", headers={"Idempotency-Key": "abc"})
    assert short_key.status_code == 422 and short_key.json()["field"] == "Idempotency-Key"
    assert api.get("/storefront/XX/products").status_code == 404
    assert api.get("/storefront/carts/cart_nope").status_code == 404


def test_staff_follow_an_order_through_the_api(client, unit, shop):
    shop.stock(unit, shop.mug_white, "DE-FRA", 2)
    placed = client().post("/storefront/DE/checkout", json=_checkout_body(shop)).json()
    staff = client("logistics")
    [summary] = staff.get("/orders", params={"q": placed["number"]}).json()["items"]
    order = staff.get(f"/orders/{summary['id']}").json()
    assert order["allocations"][0]["reason"].startswith("DE-FRA has the 1 unit")
    assert order["actions"] == ["pick", "cancel"]
    picked = staff.post(f"/orders/{summary['id']}/pick")
    assert picked.json()["state"] == "picked"
    shipped = staff.post(f"/orders/{summary['id']}/ship").json()
    assert shipped["state"] == "shipped" and len(shipped["shipments"]) == 1
    late = client("merchandiser").post(f"/orders/{summary['id']}/cancel", json={"reason": "late"})
    assert late.status_code == 409 and late.json()["current_state"] == "shipped"
    early = client("merchandiser").post(
        f"/orders/{summary['id']}/returns",
        json={"lines": [{"sku_id": shop.mug_white, "quantity": 1}], "reason": "too small"},
    )
    assert early.status_code == 409
    assert client("supplier_a").get("/orders").status_code == 403
