"""Pricing over real HTTP: the landed-cost waterfall, quotes, rules, the price book."""

from __future__ import annotations

import pytest

from helpers import draft, import_fx, list_product, sku

RATES = {"EUR": "0.1300", "GBP": "0.1100", "USD": "0.1400", "AUD": "0.2150", "JPY": "21.00"}


@pytest.fixture
def lamp(unit, world):
    product = draft(
        "LAMP-9",
        category_code="home.decor",
        title_en="Rattan lamp",
        title_zh="藤编灯",
        skus=[sku("LAMP-9-NAT", "58.00", weight_g=900, length_mm=300, width_mm=300, height_mm=420)],
        target_markets=["DE", "US"],
    )
    product_id = list_product(unit, world, product, ["DE", "US"])
    from chuhai.catalog import service

    with unit(world["merchandiser"]) as ctx:
        return service.skus_of(ctx.session, product_id)[0].id


def test_the_landed_cost_waterfall_of_a_sku(client, unit, world, lamp):
    import_fx(unit, world, "2026-11-27", RATES)
    answer = client("merchandiser").get(
        f"/skus/{lamp}/landed-cost", params={"market": "US", "on": "2026-11-28"}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["currency"] == "USD"
    lines = {k: float(v) for k, v in body["lines"].items()}
    parts = (
        "supply",
        "first_mile",
        "line_haul",
        "last_mile",
        "handling",
        "fx_buffer",
        "duty",
        "import_vat",
        "payment_fee",
        "returns_allowance",
    )
    assert round(sum(lines[p] for p in parts), 2) == lines["landed_cost"]
    assert round(lines["landed_cost"] + lines["margin"], 2) == lines["price"]
    assert body["lines"]["price"].endswith(".99")
    assert body["duty_rules"][-1] == "no HS code yet: default duty estimate"


def test_a_quote_for_a_basket_ddp_and_dap(client, unit, world, lamp):
    import_fx(unit, world, "2026-11-27", RATES)
    api = client("merchandiser")
    body = {"market_code": "DE", "items": [{"sku_id": lamp, "quantity": 3}], "on": "2026-11-28"}
    ddp = api.post("/quotes", json=body).json()
    dap = api.post("/quotes", json={**body, "terms": "DAP"}).json()
    assert ddp["regime"].startswith("delivered duty paid")
    assert float(dap["due_on_delivery"]) > 0 and float(dap["total"]) < float(ddp["total"])
    bad = api.post("/quotes", json={**body, "items": [{"sku_id": lamp, "quantity": 0}]})
    assert bad.status_code == 422 and bad.json()["field"] == "items[0].quantity"


def test_a_market_without_todays_rate_is_refused_naming_the_pair(client, unit, world, lamp):
    answer = client("merchandiser").get(
        f"/skus/{lamp}/landed-cost", params={"market": "DE", "on": "2026-11-28"}
    )
    assert answer.status_code == 409
    assert "CNY→EUR" in answer.json()["detail"]


def test_an_overlapping_rule_is_refused_and_a_future_one_accepted(client):
    api = client("customs")
    rule = {
        "kind": "duty",
        "effective_from": "2027-01-01",
        "source": "example proclamation",
        "data": {
            "tariff_area": "US",
            "hs_prefix": "94",
            "origin": "CN",
            "layer": "additional",
            "rate_bp": 1000,
            "program": "Section 232",
        },
    }
    first = api.post("/pricing/rules", json=rule, headers={"Idempotency-Key": "r1"})
    assert first.status_code == 201, first.text
    again = api.post("/pricing/rules", json={**rule, "effective_from": "2027-03-01"})
    assert again.status_code == 409 and again.json()["overlaps"] == first.json()["id"]
    missing = api.post("/pricing/rules", json={**rule, "data": {"tariff_area": "US"}})
    assert missing.status_code == 422
    assert {e["field"] for e in missing.json()["errors"]} >= {"data.hs_prefix", "data.rate_bp"}


def test_the_price_book_is_rebuilt_and_listed(client, unit, world, lamp):
    import_fx(unit, world, "2026-11-27", RATES)
    api = client("merchandiser")
    rebuilt = api.post("/pricing/rebuilds", json={"on": "2026-11-28"})
    assert rebuilt.status_code == 201, rebuilt.text
    assert rebuilt.json()["priced"] == 4
    book = api.get("/pricing/price-book", params={"market": "DE"}).json()
    assert {(p["route"], p["status"]) for p in book["items"]} == {
        ("9610", "active"),
        ("9810", "active"),
    }
    assert client("supplier_a").get("/pricing/price-book").status_code == 403
