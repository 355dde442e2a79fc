"""Demand over HTTP: a merchandiser imports a signal file (Idempotency-Key: a retry answers
the first response), reads signals, searches, stockouts and trend findings; a bad file is
a 422 problem naming each row and field; suppliers may not read demand; storefront views,
searches and add-to-carts are counted as shoppers browse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from orders.shopping import Shop, build_shop

TODAY = datetime.now(UTC).date()
RECENT = (TODAY - timedelta(days=2)).isoformat()
PREVIOUS = (TODAY - timedelta(days=40)).isoformat()
HEADER = "date,market,sku,category,kind,count,query"


@pytest.fixture
def shop(unit, world) -> Shop:
    return build_shop(unit, world)


def _file(*rows: str) -> dict[str, tuple[str, bytes, str]]:
    return {"file": ("trends.csv", "\n".join([HEADER, *rows]).encode(), "text/csv")}


def test_a_merchandiser_imports_signals_and_reads_them_back_with_a_finding(client, shop):
    merchandiser = client("merchandiser")
    files = _file(
        f"{PREVIOUS},US,,home.kitchen,search,10,bamboo steamer",
        f"{RECENT},US,,home.kitchen,search,45,bamboo steamer",
        f"{RECENT},US,MUG-350-WHT,,order,7,",
    )
    first = merchandiser.post("/demand/imports", files=files, headers={"Idempotency-Key": "i-1"})
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["summary"] == "3 signals imported from 3 rows"
    assert body["source"] == "csv:trends.csv"
    assert [o["status"] for o in body["outcomes"]] == ["imported"] * 3
    retry = merchandiser.post("/demand/imports", files=files, headers={"Idempotency-Key": "i-1"})
    assert retry.json() == body

    signals = merchandiser.get("/demand/signals", params={"market": "us", "kind": "order"})
    assert [(s["sku_id"], s["count"], s["source"]) for s in signals.json()["items"]] == [
        (shop.mug_white, 7, "csv:trends.csv")
    ]
    searches = merchandiser.get("/demand/searches", params={"start": RECENT}).json()["items"]
    assert [(s["query"], s["count"]) for s in searches] == [("bamboo steamer", 45)]
    trends = merchandiser.get("/demand/trends").json()
    assert [(t["market"], t["keywords"], t["growth"], t["listed_products"]) for t in trends] == [
        ("US", ["bamboo", "steamer"], "4.50", 0)
    ]
    assert trends[0]["evidence"].startswith("Searches for 'bamboo steamer' in home.kitchen in US")
    assert merchandiser.get("/demand/stockouts").json()["items"] == []


def test_a_bad_file_is_a_problem_naming_each_row_and_field(client, shop):
    merchandiser = client("merchandiser")
    files = _file(f"{RECENT},US,MUG-350-WHT,,order,-1,", f"{RECENT},ZZ,MUG-350-WHT,,order,1,")
    refused = merchandiser.post("/demand/imports", files=files)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["detail"] == "2 of 2 rows refused; nothing was imported"
    assert [(e["row"], e["field"]) for e in problem["errors"]] == [(2, "count"), (3, "market")]
    assert merchandiser.get("/demand/signals").json()["total"] == 0


@pytest.mark.parametrize(
    ("params", "field"),
    [({"kind": "search"}, "kind"), ({"start": RECENT, "end": PREVIOUS}, "start")],
)
def test_a_bad_filter_names_its_field(client, shop, params, field):
    answer = client("merchandiser").get("/demand/signals", params=params)
    assert answer.status_code == 422 and answer.json()["field"] == field


def test_suppliers_may_not_read_demand_nor_finance_import_it(client, shop):
    assert client("supplier_a").get("/demand/trends").status_code == 403
    answer = client("finance").post("/demand/imports", files=_file(f"{RECENT},US,,toys,view,1,"))
    assert answer.status_code == 403


def test_shoppers_browsing_the_storefront_are_counted(client, shop):
    shopper = client()
    assert shopper.get("/storefront/US/products", params={"q": "mug"}).status_code == 200
    assert shopper.get(f"/storefront/US/products/{shop.mug_product}").status_code == 200
    cart = shopper.post("/storefront/US/carts").json()
    put = shopper.put(
        f"/storefront/carts/{cart['id']}/items", json={"sku_id": shop.mug_white, "quantity": 2}
    )
    assert put.status_code == 200, put.text

    merchandiser = client("merchandiser")
    counted = merchandiser.get("/demand/signals", params={"sku_id": shop.mug_white}).json()
    assert sorted((s["kind"], s["count"], s["source"]) for s in counted["items"]) == [
        ("add_to_cart", 1, "storefront"),
        ("view", 1, "storefront"),
    ]
    searches = merchandiser.get("/demand/searches").json()["items"]
    assert [(s["query"], s["category_code"], s["source"]) for s in searches] == [
        ("mug", "home.kitchen", "storefront")
    ]


def test_shoppers_browsing_the_shop_pages_are_counted(client, live_server, shop):
    with httpx.Client(base_url=live_server, timeout=30) as browser:
        assert browser.get("/shop/DE", params={"q": "Mug"}).status_code == 200
        assert browser.get("/shop/DE", params={"q": "mug", "offset": 24}).status_code == 200
        assert browser.get(f"/shop/DE/products/{shop.mug_product}").status_code == 200
        token = browser.cookies["chuhai_shop_csrf"]
        added = browser.post(
            "/shop/DE/cart/items",
            data={"sku_id": shop.mug_black, "quantity": "1", "csrf_token": token},
        )
        assert added.status_code in (302, 303), added.text

    merchandiser = client("merchandiser")
    counted = merchandiser.get("/demand/signals", params={"market": "DE"}).json()["items"]
    assert sorted((s["sku_id"] == shop.mug_black, s["kind"], s["count"]) for s in counted) == [
        (False, "view", 1),
        (True, "add_to_cart", 1),
        (True, "view", 1),
    ]
    searches = merchandiser.get("/demand/searches", params={"market": "DE"}).json()["items"]
    assert [(s["query"], s["count"]) for s in searches] == [("mug", 1)]  # page 2 not counted
