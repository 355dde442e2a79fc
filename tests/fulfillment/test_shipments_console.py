"""The console's shipment pages: the list by state, one shipment with its tracking timeline,
history and label; logistics staff let the sandbox carrier report — in a browser once,
plain HTTP otherwise."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import httpx
import pytest

from chuhai.fulfillment import service
from fulfillment.shipping_examples import ADDRESSES

PASSWORD = "correct-horse-battery"


@pytest.fixture
def shipment(unit, world, skus):
    """A shipment from Los Angeles made now (the live server runs on the system clock)."""
    with unit(world["logistics"]) as ctx:
        row = service.create_shipment(
            ctx,
            order_id="ord_console_1",
            warehouse_id="US-LAX",
            ship_to=ADDRESSES["US"],
            lines=[(skus[0], 2)],
            weight_g=800,
        )
        return row.id, row.tracking_number, row.created_at


@contextmanager
def signed_in(live_server: str, username: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=30) as http:
        answer = http.post("/login", data={"username": username, "password": PASSWORD})
        assert answer.status_code == 303, answer.text
        yield http


def test_operators_see_shipments_and_suppliers_do_not(live_server, world, shipment):
    shipment_id, number, _ = shipment
    with signed_in(live_server, "merchandiser") as http:
        listed = http.get("/shipments")
        assert listed.status_code == 200
        assert f'data-tracking="{number}"' in listed.text and 'href="/shipments"' in listed.text
        assert "sandbox-push" not in listed.text  # only logistics may push
        assert http.get("/shipments?state=delivered").text.count("data-tracking=") == 0
        one = http.get(f"/shipments/{shipment_id}")
        assert 'data-state="label_created"' in one.text and "No tracking events yet" in one.text
        label = http.get(f"/shipments/{shipment_id}/label")
        assert label.headers["content-type"] == "application/pdf"
    with signed_in(live_server, "supplier-a") as http:
        assert http.get(f"/shipments/{shipment_id}").status_code == 403
        assert 'href="/shipments"' not in http.get("/").text


def test_logistics_pushes_the_sandbox_carrier_and_follows_the_parcel(console, shipment):
    shipment_id, number, created = shipment
    page = console("logistics")
    page.click("nav >> text=Shipments")
    page.click(f"a:has-text('{number}')")
    assert page.get_attribute("[data-testid=state]", "data-state") == "label_created"
    page.goto("/shipments")
    page.click("[data-testid=sandbox-push] summary")
    until = (created + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    page.fill("input[name=until]", until)
    page.click("text=Push tracking events")
    assert "The sandbox carrier pushed" in page.inner_text("[role=status]")
    page.click(f"a:has-text('{number}')")
    assert page.get_attribute("[data-testid=state]", "data-state") == "in_transit"
    statuses = page.eval_on_selector_all(
        "[data-testid=tracking] li", "items => items.map(i => i.dataset.status)"
    )
    assert statuses[-1] == "accepted" and set(statuses) == {"accepted", "in_transit"}
    history = page.inner_text("[data-testid=history]")
    assert "USPS (carrier)" in history and "Logistics" in history
    assert re.search(r"label bought: USPS USPS Ground Advantage, 3 days", history)
    with page.expect_popup() as popup:
        page.click("[data-testid=label-link]")
    assert popup.value.url.endswith(f"/shipments/{shipment_id}/label")
