"""Inventory over real HTTP: a stock-up order from issue to receipt with its labels and
penalties, a transfer abroad, stock views and corrections, warehouses; problem+json for
each refusal, Idempotency-Key on creates, 404 for another supplier's order."""

from __future__ import annotations

import pytest

from chuhai.catalog import service as catalog

from helpers import draft, list_product


@pytest.fixture
def mugs(unit, world) -> dict[str, str]:
    product_id = list_product(unit, world, draft(), ["US", "DE"])
    with unit() as ctx:
        return {s.sku_code: s.id for s in catalog.skus_of(ctx.session, product_id)}


def _problem(response, status: int, field: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    if field is not None:
        assert body["field"] == field, body
    return body  # type: ignore[no-any-return]


def test_a_stock_up_order_from_issue_to_receipt(client, world, mugs):
    white, black = mugs["MUG-350-WHT"], mugs["MUG-350-BLK"]
    merchandiser, supplier = client("merchandiser"), client("supplier_a")
    body = {
        "supplier_id": world.supplier_a,
        "warehouse_id": "CN-GZ",
        "kind": "jit",
        "jit_hours": 72,
        "lines": [{"sku_id": white, "quantity": 100}, {"sku_id": black, "quantity": 20}],
    }
    key = {"Idempotency-Key": "order-2026-03-a"}
    made = merchandiser.post("/stock-up-orders", json=body, headers=key)
    assert made.status_code == 201, made.text
    order = made.json()
    assert (order["state"], order["value"]) == ("issued", {"amount": "1514.00", "currency": "CNY"})
    again = merchandiser.post("/stock-up-orders", json=body, headers=key)
    assert again.json()["id"] == order["id"] and again.headers["Idempotent-Replayed"] == "true"
    assert merchandiser.get("/stock-up-orders").json()["total"] == 1

    bad = {**body, "lines": [{"sku_id": white, "quantity": 0}]}
    _problem(merchandiser.post("/stock-up-orders", json=bad), 422, "lines[0].quantity")
    url = f"/stock-up-orders/{order['id']}"
    _problem(client("supplier_b").get(url), 404, "stock_up_order_id")
    _problem(client("supplier_b").post(f"{url}/confirm", json={}), 404)

    confirmed = supplier.post(f"{url}/confirm", json={"note": "OK"})
    assert confirmed.json()["actions"] == ["ship"]
    again = _problem(supplier.post(f"{url}/confirm", json={}), 409)
    assert again["current_state"] == "confirmed"
    cartons = [{"sku_id": white, "units": 50}, {"sku_id": white, "units": 50}]
    shipped = supplier.post(
        f"{url}/ship", json={"cartons": [*cartons, {"sku_id": black, "units": 18}]}
    )
    assert shipped.status_code == 200, shipped.text
    assert [c["barcode"][-3:] for c in shipped.json()["cartons"]] == ["001", "002", "003"]
    labels = supplier.get(shipped.json()["labels_url"].removeprefix("/api/v1"))
    assert labels.headers["content-type"] == "application/pdf"
    assert labels.content.startswith(b"%PDF") and labels.content.count(b"/Type /Page\n") == 3

    logistics = client("logistics")
    too_many = {"lines": [{"sku_id": white, "received": 101}]}
    _problem(logistics.post(f"{url}/receive", json=too_many), 422, "lines[0].received")
    counted = {
        "lines": [
            {"sku_id": white, "received": 100, "qc_sampled": 10, "qc_failed": 1},
            {"sku_id": black, "received": 18},
        ]
    }
    received = logistics.post(f"{url}/receive", json=counted).json()
    assert received["state"] == "received"
    assert {p["kind"]: p["amount"]["amount"] for p in received["penalties"]} == {
        "short": "5.28",  # 2 × 13.20 × 20%
        "qc_failed": "203.75",  # 1 × 12.50 × 30% + 200.00 inspection
    }
    owed = client("finance").get("/penalties", params={"supplier_id": world.supplier_a}).json()
    assert len(owed) == 2
    assert client("supplier_b").get("/penalties").json() == []

    levels = client("finance").get("/stock", params={"warehouse_id": "CN-GZ", "q": "wht"}).json()
    assert [(s["sku_code"], s["on_hand"], s["available"]) for s in levels["items"]] == [
        ("MUG-350-WHT", 99, 99)
    ]
    moves = client("finance").get("/stock/movements", params={"document_id": order["id"]}).json()
    assert {m["kind"] for m in moves["items"]} == {"receipt", "qc_reject", "put_away"}


def test_a_transfer_abroad_and_the_stock_corrections(client, world, mugs, unit):
    from chuhai.core.auth import SYSTEM
    from chuhai.inventory import ledger
    from chuhai.inventory.ledger import Move

    white = mugs["MUG-350-WHT"]
    with unit(SYSTEM) as ctx:
        ledger.post(
            ctx,
            [Move("receipt", white, "CN-GZ", 30), Move("put_away", white, "CN-GZ", 30)],
            document_type="test",
            document_id="seed",
        )
    logistics = client("logistics")
    body = {
        "from_warehouse_id": "CN-GZ",
        "to_warehouse_id": "DE-FRA",
        "mode": "rail",
        "cartons": 2,
        "lines": [{"sku_id": white, "quantity": 31}],
    }
    refused = _problem(logistics.post("/transfers", json=body), 422, "lines[0].quantity")
    assert refused["detail"] == (
        "lines[0].quantity: only 30 of MUG-350-WHT available in CN-GZ, not 31"
    )
    body["lines"][0]["quantity"] = 25
    planned = logistics.post("/transfers", json=body, headers={"Idempotency-Key": "t-1"})
    assert planned.status_code == 201, planned.text
    url = f"/transfers/{planned.json()['id']}"
    departed = logistics.post(f"{url}/depart", json={}).json()
    assert departed["state"] == "departed" and departed["eta"]
    assert departed["declaration"] is None and "HS code" in departed["declaration_problem"]
    _problem(logistics.post(f"{url}/cancel", json={"reason": "late"}), 409)
    arrived = logistics.post(f"{url}/arrive", json={"lines": [{"sku_id": white, "received": 24}]})
    assert arrived.json()["lines"][0]["received"] == 24
    _problem(client("supplier_a").get(url), 403)

    made = logistics.post(
        "/stock/count-adjustments",
        json={"sku_id": white, "warehouse_id": "DE-FRA", "counted": 23, "reason": "cycle count"},
        headers={"Idempotency-Key": "count-1"},
    )
    assert made.status_code == 201 and made.json()["changes"] == {"on_hand": -1}
    _problem(
        logistics.post(
            "/stock/write-offs",
            json={"sku_id": white, "warehouse_id": "DE-FRA", "quantity": 1, "reason": ""},
        ),
        422,
        "reason",
    )
    check = client("finance").get("/stock/check").json()
    assert check == {"ok": True, "balances_checked": 2, "mismatches": []}


def test_warehouses_listed_created_and_edited(client):
    logistics = client("logistics")
    assert {w["id"] for w in logistics.get("/warehouses").json()} >= {"CN-GZ", "US-LAX", "DE-FRA"}
    assert [w["id"] for w in logistics.get("/warehouses", params={"market": "FR"}).json()] == [
        "CN-GZ",
        "CN-YW",
        "DE-FRA",
    ]
    body = {
        "id": "US-NJ",
        "name": "New Jersey (Edison) overseas warehouse",
        "kind": "overseas",
        "country_code": "US",
        "city": "Edison",
        "latitude": 40.5187,
        "longitude": -74.4121,
        "capacity_m3": 12000,
        "handling_cost": "1.05",
        "handling_currency": "USD",
        "markets": ["US"],
    }
    made = logistics.post("/warehouses", json=body, headers={"Idempotency-Key": "nj"})
    assert made.status_code == 201, made.text
    assert made.json()["handling_cost"] == {"amount": "1.05", "currency": "USD"}
    _problem(client("merchandiser").post("/warehouses", json={**body, "id": "US-NJ2"}), 403)
    _problem(logistics.post("/warehouses", json={**body, "id": "us nj"}), 422, "id")
    _problem(
        logistics.post("/warehouses", json={**body, "id": "US-N3", "handling_cost": 1.05}), 422
    )
    edited = logistics.patch("/warehouses/US-NJ", json={"capacity_m3": 15000, "active": False})
    assert edited.json()["capacity_m3"] == 15000 and edited.json()["active"] is False
    _problem(logistics.patch("/warehouses/US-NJ", json={"markets": ["XX"]}), 422, "markets")
    _problem(logistics.get("/warehouses/NOWHERE"), 404, "warehouse_id")
