"""Shipments and the carriers' webhook over real HTTP against the live server: a signed
delivery moves a shipment, a bad or stale one is a 401 with the webhook's own challenge,
operators read shipments, labels and events; suppliers and strangers read nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from chuhai.fulfillment import service, webhooks
from fulfillment.shipping_examples import ADDRESSES


@pytest.fixture
def shipment(unit, world, skus):
    """A shipment made now (the live server runs on the system clock)."""
    with unit(world["logistics"]) as ctx:
        row = service.create_shipment(
            ctx,
            order_id="ord_api_1",
            warehouse_id="US-LAX",
            ship_to=ADDRESSES["US"],
            lines=[(skus[0], 1)],
            weight_g=400,
        )
        return row.id, row.tracking_number, row.created_at


def post_signed(live_server, settings, carrier, events, signed_at=None, secret=None):
    body = json.dumps(events).encode()
    headers = webhooks.signed_headers(
        secret or webhooks.webhook_secret(settings), body, signed_at or datetime.now(UTC)
    )
    return httpx.post(
        f"{live_server}/api/v1/carriers/{carrier}/events", content=body, headers=headers
    )


def test_a_signed_webhook_moves_the_shipment_and_operators_follow_it(
    client, live_server, settings, shipment
):
    shipment_id, number, created = shipment
    accepted = {
        "event_id": f"{number}-01",
        "tracking_number": number,
        "status": "accepted",
        "occurred_at": (created + timedelta(minutes=5)).isoformat(),
        "location": "Ontario, US",
        "description": "Accepted at the origin facility",
    }
    stray = dict(accepted, event_id="stray-1", tracking_number="9400100000000000000000")
    answer = post_signed(live_server, settings, "usps", [accepted, stray])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["applied"], body["rejected"]) == (1, 1)
    assert body["results"][1]["field"] == "events[1].tracking_number"
    again = post_signed(live_server, settings, "usps", [accepted])
    assert again.json()["results"][0]["outcome"] == "duplicate"

    logistics = client("logistics")
    one = logistics.get(f"/shipments/{shipment_id}").json()
    assert (one["state"], one["carrier_name"], one["transit_days"]) == ("in_transit", "USPS", 3)
    assert [h["to_state"] for h in one["history"]] == ["label_created", "in_transit"]
    listed = logistics.get("/shipments", params={"state": "in_transit"}).json()
    assert [s["tracking_number"] for s in listed["items"]] == [number]
    assert logistics.get("/shipments", params={"order_id": "ord_api_1"}).json()["total"] == 1
    events = logistics.get(f"/shipments/{shipment_id}/events").json()
    assert [(e["event_id"], e["applied"]) for e in events] == [(f"{number}-01", True)]
    label = logistics.get(one["label_url"].removeprefix("/api/v1"))
    assert label.headers["content-type"] == "application/pdf"
    assert label.content.startswith(b"%PDF-") and number.encode() in label.content


def test_bad_signatures_and_replays_answer_401_with_the_webhook_challenge(
    live_server, settings, shipment, client
):
    _, number, created = shipment
    event = {
        "event_id": f"{number}-01",
        "tracking_number": number,
        "status": "accepted",
        "occurred_at": created.isoformat(),
    }
    forged = post_signed(live_server, settings, "usps", [event], secret="guessed")
    stale = post_signed(
        live_server, settings, "usps", [event], signed_at=datetime.now(UTC) - timedelta(minutes=10)
    )
    unsigned = httpx.post(f"{live_server}/api/v1/carriers/usps/events", json=[event])
    for answer in (forged, stale, unsigned):
        assert answer.status_code == 401, answer.text
        assert answer.headers["www-authenticate"].startswith("HMAC-SHA256")
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert "replay" in stale.json()["detail"]
    assert unsigned.json()["field"] == "X-Carrier-Timestamp"
    malformed = post_signed(live_server, settings, "usps", [dict(event, status="lost")])
    assert malformed.status_code == 422
    assert malformed.json()["field"] == "events[0].status"
    huge = httpx.post(
        f"{live_server}/api/v1/carriers/usps/events",
        content=b"[" + b" " * webhooks.MAX_BODY_BYTES + b"]",
    )
    assert huge.status_code == 422 and huge.json()["field"] == "body"
    shipment_id = shipment[0]
    assert client("logistics").get(f"/shipments/{shipment_id}").json()["state"] == "label_created"


def test_suppliers_and_strangers_read_no_shipments(client, shipment):
    shipment_id = shipment[0]
    assert client("supplier_a").get(f"/shipments/{shipment_id}").status_code == 403
    assert client("supplier_a").get("/shipments").status_code == 403
    assert client().get(f"/shipments/{shipment_id}/label").status_code == 401
    assert client("logistics").get("/shipments/shp_nope").status_code == 404
    bad = client("logistics").get("/shipments", params={"state": "lost"})
    assert bad.status_code == 422 and bad.json()["field"] == "state"


def test_logistics_can_advance_the_sandbox_carrier_over_the_api(client, shipment):
    shipment_id, _, created = shipment
    assert client("merchandiser").post("/carriers/sandbox/push").status_code == 403
    pushed = client("logistics").post(
        "/carriers/sandbox/push", json={"until": (created + timedelta(days=10)).isoformat()}
    )
    assert pushed.status_code == 200, pushed.text
    assert pushed.json()["sent"] == 5 and pushed.json()["outcomes"] == {"applied": 5}
    one = client("logistics").get(f"/shipments/{shipment_id}").json()
    assert one["state"] == "delivered" and one["delivered_at"] is not None
    naive = client("logistics").post("/carriers/sandbox/push", json={"until": "2026-01-01T00:00"})
    assert naive.status_code == 422 and naive.json()["field"] == "until"


def test_the_same_delivery_sent_at_once_is_applied_once(live_server, settings, shipment, client):
    from concurrent.futures import ThreadPoolExecutor

    shipment_id, number, created = shipment
    event = {
        "event_id": f"{number}-01",
        "tracking_number": number,
        "status": "accepted",
        "occurred_at": (created + timedelta(minutes=5)).isoformat(),
    }
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(
            pool.map(lambda _: post_signed(live_server, settings, "usps", [event]), range(6))
        )
    assert [a.status_code for a in answers] == [200] * 6, [a.text for a in answers]
    outcomes = sorted(a.json()["results"][0]["outcome"] for a in answers)
    assert outcomes == ["applied"] + ["duplicate"] * 5
    events = client("logistics").get(f"/shipments/{shipment_id}/events").json()
    assert len(events) == 1
