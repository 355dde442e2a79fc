"""The console's inventory pages: a supplier confirms a stock-up order, books the delivery and
prints its carton labels in a real browser; operators issue and receive orders, see and
correct stock, manage warehouses and move stock abroad over plain HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from chuhai.catalog import service as catalog
from chuhai.inventory import ledger, stockup, transfers
from chuhai.inventory.stockup import LineDraft, StockUpDraft

from helpers import draft, list_product

PASSWORD = "correct-horse-battery"


class Console:
    """A signed-in console session over plain HTTP."""

    def __init__(self, base_url: str, username: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        answer = self.http.post("/login", data={"username": username, "password": PASSWORD})
        assert answer.status_code == 303, answer.text
        self.csrf = ""

    def get(self, url: str) -> httpx.Response:
        answer = self.http.get(url)
        found = re.search(r'name="csrf_token" value="([^"]+)"', answer.text)
        if found:
            self.csrf = found.group(1)
        return answer

    def post(self, url: str, data: dict[str, Any] | None = None) -> httpx.Response:
        return self.http.post(url, data={"csrf_token": self.csrf, **(data or {})})


@pytest.fixture
def signed_in(live_server: str, world) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    opened: list[Console] = []

    def open_as(username: str) -> Console:
        console = Console(live_server, username)
        opened.append(console)
        return console

    yield open_as
    for console in opened:
        console.http.close()


@pytest.fixture
def mugs(unit, world) -> dict[str, str]:
    product_id = list_product(unit, world, draft(), ["US", "DE"])
    with unit() as ctx:
        return {s.sku_code: s.id for s in catalog.skus_of(ctx.session, product_id)}


def _issue(unit, world, mugs) -> str:  # type: ignore[no-untyped-def]
    lines = [LineDraft(mugs["MUG-350-WHT"], 100), LineDraft(mugs["MUG-350-BLK"], 30)]
    with unit(world["merchandiser"]) as ctx:
        order = StockUpDraft(world.supplier_a, "CN-GZ", "jit", lines, jit_hours=72)
        return stockup.issue(ctx, order).id


@pytest.mark.browser
def test_a_supplier_confirms_books_the_delivery_and_prints_labels(console, unit, world, mugs):
    order_id = _issue(unit, world, mugs)
    page = console("supplier-a")
    page.get_by_role("link", name="Stock-up orders").click()
    page.get_by_role("link", name=order_id).click()
    assert page.get_by_test_id("state").inner_text() == "issued"
    page.get_by_role("button", name="Confirm the order").click()
    assert page.get_by_test_id("state").inner_text() == "confirmed"
    page.get_by_label("Units of MUG-350-WHT to ship").fill("95")  # five short
    page.get_by_label("Units of MUG-350-WHT per carton").fill("40")
    page.get_by_label("Units of MUG-350-BLK per carton").fill("30")
    page.get_by_label("Carrier").fill("Deppon")
    page.get_by_role("button", name="Book the delivery").click()
    assert page.get_by_test_id("state").inner_text() == "shipped"
    assert "print the carton labels" in page.get_by_role("status").inner_text()
    cartons = page.get_by_test_id("cartons").locator("tbody tr")
    assert cartons.count() == 4  # 40 + 40 + 15 white, 30 black
    assert "15" in cartons.nth(2).inner_text()
    href = page.get_by_test_id("labels").get_attribute("href")
    labels = page.request.get(href)
    assert labels.status == 200 and labels.headers["content-type"] == "application/pdf"
    assert labels.body().startswith(b"%PDF") and labels.body().count(b"/Type /Page\n") == 4
    assert "Confirm the order" not in page.content()


def test_operators_issue_and_receive_through_the_console(signed_in, unit, world, mugs):
    merchandiser = signed_in("merchandiser")
    form = merchandiser.get(f"/stock-up-orders/new?supplier_id={world.supplier_a}")
    assert "MUG-350-WHT" in form.text
    data = {
        "supplier_id": world.supplier_a,
        "warehouse_id": "CN-GZ",
        "kind": "jit",
        "jit_hours": "48",
        f"qty:{mugs['MUG-350-WHT']}": "0",
    }
    refused = merchandiser.post("/stock-up-orders", data)
    assert refused.status_code == 422
    assert "lines[0].quantity: at least 1" in refused.text
    assert 'value="48"' in refused.text  # the form keeps what was typed
    data[f"qty:{mugs['MUG-350-WHT']}"] = "20"
    issued = merchandiser.post("/stock-up-orders", data)
    assert issued.status_code == 303
    order_url = issued.headers["location"].split("?")[0]
    order_id = order_url.rsplit("/", 1)[-1]
    with unit(world["supplier_a"]) as ctx:
        stockup.confirm(ctx, order_id)
        stockup.ship(ctx, order_id, [stockup.CartonDraft(mugs["MUG-350-WHT"], 20)])
    logistics = signed_in("logistics")
    assert 'data-testid="receive-form"' in logistics.get(order_url).text
    white = mugs["MUG-350-WHT"]
    too_many = logistics.post(f"{order_url}/actions/receive", {f"received:{white}": "21"})
    assert "error=" in too_many.headers["location"]
    received = logistics.post(
        f"{order_url}/actions/receive",
        {f"received:{white}": "20", f"sampled:{white}": "5", f"failed:{white}": "1"},
    )
    assert "notice=" in received.headers["location"]
    shown = logistics.get(order_url).text
    assert 'data-state="received"' in shown and 'data-kind="qc_failed"' in shown
    assert signed_in("supplier-b").get(order_url).status_code == 404


def test_stock_pages_and_corrections(signed_in, unit, world, mugs):
    from chuhai.inventory.ledger import Move

    white = mugs["MUG-350-WHT"]
    with unit() as ctx:
        ledger.post(
            ctx,
            [Move("receipt", white, "CN-GZ", 12), Move("put_away", white, "CN-GZ", 12)],
            document_type="test",
            document_id="seed",
        )
    logistics = signed_in("logistics")
    levels = logistics.get("/stock?warehouse_id=CN-GZ&q=wht").text
    assert 'data-sku="MUG-350-WHT"' in levels and "<b>12</b>" in levels
    url = f"/stock/movements?sku_id={white}&warehouse_id=CN-GZ"
    assert 'data-testid="count-form"' in logistics.get(url).text
    no_reason = logistics.post(
        "/stock/count", {"sku_id": white, "warehouse_id": "CN-GZ", "counted": "10"}
    )
    assert "reason" in no_reason.headers["location"]
    counted = logistics.post(
        "/stock/count",
        {"sku_id": white, "warehouse_id": "CN-GZ", "counted": "10", "reason": "cycle count"},
    )
    assert "notice=" in counted.headers["location"]
    assert 'data-kind="count_adjustment"' in logistics.get(url).text
    assert 'data-testid="count-form"' not in signed_in("finance").get(url).text
    assert signed_in("supplier-a").get("/stock").status_code == 403


def test_warehouses_and_a_transfer_through_the_console(signed_in, unit, world, mugs):
    from chuhai.inventory.ledger import Move

    white = mugs["MUG-350-WHT"]
    with unit() as ctx:
        ledger.post(
            ctx,
            [Move("receipt", white, "CN-GZ", 40), Move("put_away", white, "CN-GZ", 40)],
            document_type="test",
            document_id="seed",
        )
    logistics = signed_in("logistics")
    assert 'data-id="US-LAX"' in logistics.get("/warehouses").text
    fields = {
        "name": "Los Angeles (Ontario, CA) overseas warehouse",
        "kind": "overseas",
        "country_code": "US",
        "city": "Ontario",
        "latitude": "34.0633",
        "longitude": "-117.6509",
        "capacity_m3": "32000",
        "handling_cost": "0.95",
        "handling_currency": "USD",
        "markets": "US",
        "active": "on",
    }
    page = logistics.get("/warehouses/US-LAX").text
    assert 'name="handling_cost" required value="0.95"' in page
    saved = logistics.post("/warehouses/US-LAX", fields)
    assert "notice=" in saved.headers["location"]
    assert "32,000 m³" in logistics.get("/warehouses/US-LAX").text

    assert 'data-sku="MUG-350-WHT"' in logistics.get("/transfers/new?from_warehouse_id=CN-GZ").text
    plan = {
        "from_warehouse_id": "CN-GZ",
        "to_warehouse_id": "US-LAX",
        "mode": "air",
        "cartons": "2",
        f"qty:{white}": "41",
    }
    refused = logistics.post("/transfers", plan)
    assert "only+40+of+MUG-350-WHT" in refused.headers["location"]
    planned = logistics.post("/transfers", {**plan, f"qty:{white}": "30"})
    url = planned.headers["location"].split("?")[0]
    assert "notice=" in logistics.post(f"{url}/actions/depart").headers["location"]
    shown = logistics.get(url).text
    assert 'data-state="departed"' in shown and 'data-testid="declaration-problem"' in shown
    arrived = logistics.post(f"{url}/actions/arrive", {f"received:{white}": "29"})
    assert "notice=" in arrived.headers["location"]
    with unit() as ctx:
        assert ledger.balance(ctx.session, white, "US-LAX").on_hand == 29
        assert transfers.visible_transfer(ctx, url.rsplit("/", 1)[-1]).state == "arrived"
    assert signed_in("merchandiser").get("/transfers").status_code == 200
