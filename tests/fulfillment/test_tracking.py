"""Applying a carrier's tracking events: the shipment moves only forward, late and
out-of-order events are stored without effect, duplicates change nothing, unknown tracking
numbers are rejected by name, exceptions interrupt and recover; every change is in the
history and announced as "shipment.status_changed"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from chuhai.core import events
from chuhai.fulfillment import service
from chuhai.fulfillment.model import SHIPMENT, TrackingEvent, decide
from chuhai.fulfillment.tables import TrackingEventRow
from fulfillment.shipping_examples import START


@pytest.fixture
def published():
    seen: list[dict] = []

    def handler(ctx, payload):
        seen.append(payload)

    events.subscribe(service.STATUS_CHANGED, handler)
    yield seen
    events._subscribers[service.STATUS_CHANGED].remove(handler)


def event(number: str, seq: int, status: str, hours: float, **changes: str) -> TrackingEvent:
    return TrackingEvent(
        event_id=changes.get("event_id", f"{number}-{seq:02d}"),
        tracking_number=changes.get("tracking_number", number),
        status=status,
        occurred_at=START + timedelta(hours=hours),
        location=changes.get("location", "Ontario, US"),
        description=changes.get("description", status.replace("_", " ")),
    )


@pytest.fixture
def send(at, world):
    """Apply events as the carrier would deliver them; the outcomes, in the order sent."""

    def deliver(carrier: str, *batch: TrackingEvent) -> list[tuple[str, str | None]]:
        with at(world["admin"]) as ctx:
            result = service.apply_carrier_events(ctx, carrier, list(batch))
            return [(r.outcome, r.state) for r in result.results]

    return deliver


def state_of(at, world, shipment_id: str) -> str:
    with at(world["logistics"]) as ctx:
        return service.visible_shipment(ctx, shipment_id).state


def test_a_domestic_parcel_moves_to_delivered_and_every_move_is_announced(
    ship, send, at, world, published
):
    shipment_id, number = ship()
    published.clear()
    assert send("usps", event(number, 1, "accepted", 4)) == [("applied", "in_transit")]
    assert send("usps", event(number, 2, "in_transit", 20)) == [("applied", "in_transit")]
    assert send("usps", event(number, 3, "out_for_delivery", 60)) == [
        ("applied", "out_for_delivery")
    ]
    assert send("usps", event(number, 4, "delivered", 66)) == [("applied", "delivered")]
    assert [(p["status"], p["at"]) for p in published] == [
        ("in_transit", START + timedelta(hours=4)),
        ("out_for_delivery", START + timedelta(hours=60)),
        ("delivered", START + timedelta(hours=66)),
    ]
    assert {p["order_id"] for p in published} == {"ord_test_1"}
    assert {p["shipment_id"] for p in published} == {shipment_id}
    with at(world["logistics"]) as ctx:
        view = service.shipment_view(ctx, shipment_id)
        assert view.row.delivered_at == START + timedelta(hours=66)
        assert view.row.last_event_at == START + timedelta(hours=66)
        assert [(h.from_state, h.to_state, h.actor_id) for h in view.history][1:] == [
            ("label_created", "in_transit", "carrier:usps"),
            ("in_transit", "out_for_delivery", "carrier:usps"),
            ("out_for_delivery", "delivered", "carrier:usps"),
        ]
        assert all(e.applied for e in view.events) and len(view.events) == 4


def test_a_parcel_from_china_passes_customs(ship, send, at, world):
    shipment_id, number = ship("DE", "CN-GZ")
    send(
        "china-post",
        event(number, 1, "accepted", 6),
        event(number, 2, "customs", 100),
    )
    assert state_of(at, world, shipment_id) == "customs"


def test_events_in_one_delivery_apply_in_the_order_they_happened(ship, send, at, world):
    shipment_id, number = ship()
    outcomes = send(
        "usps",
        event(number, 3, "out_for_delivery", 60),
        event(number, 1, "accepted", 4),
        event(number, 2, "in_transit", 20),
    )
    assert [o for o, _ in outcomes] == ["applied", "applied", "applied"]
    assert state_of(at, world, shipment_id) == "out_for_delivery"


def test_a_late_in_transit_after_delivered_is_stored_and_changes_nothing(
    ship, send, at, world, published
):
    shipment_id, number = ship()
    send("usps", event(number, 5, "delivered", 66))
    published.clear()
    assert send("usps", event(number, 2, "in_transit", 20)) == [("stored", "delivered")]
    assert published == []
    with at(world["logistics"]) as ctx:
        stored = {e.event_id: e.applied for e in service.events_of(ctx, shipment_id)}
    assert stored == {f"{number}-05": True, f"{number}-02": False}


def test_an_event_older_than_the_latest_applied_one_does_not_move_the_shipment(
    ship, send, at, world
):
    shipment_id, number = ship()
    send("usps", event(number, 3, "out_for_delivery", 60))
    assert send("usps", event(number, 2, "customs", 30)) == [("stored", "out_for_delivery")]
    assert state_of(at, world, shipment_id) == "out_for_delivery"


def test_duplicates_are_acknowledged_once_stored_and_change_nothing(ship, send, at, world, db):
    shipment_id, number = ship()
    first = event(number, 1, "accepted", 4)
    assert send("usps", first) == [("applied", "in_transit")]
    assert send("usps", first) == [("duplicate", "in_transit")]
    again = event(number, 2, "in_transit", 20)
    assert send("usps", again, again) == [("applied", "in_transit"), ("duplicate", "in_transit")]
    with db.unit_of_work() as uow:
        count = uow.session.scalar(select(func.count()).select_from(TrackingEventRow))
    assert count == 2


def test_unknown_tracking_numbers_are_rejected_by_field_and_the_rest_applied(ship, at, world):
    shipment_id, number = ship()
    with at(world["admin"]) as ctx:
        batch = service.apply_carrier_events(
            ctx,
            "usps",
            [
                event(number, 1, "accepted", 4),
                event(number, 9, "in_transit", 5, tracking_number="9400100000000000000000"),
            ],
        )
        wrong_carrier = service.apply_carrier_events(ctx, "dhl", [event(number, 2, "delivered", 6)])
    assert [r.outcome for r in batch.results] == ["applied", "rejected"]
    assert batch.results[1].field == "events[1].tracking_number"
    assert "no usps shipment has tracking number" in batch.results[1].reason
    assert not batch.all_rejected
    assert wrong_carrier.all_rejected  # a tracking number is known only to its own carrier
    assert state_of(at, world, shipment_id) == "in_transit"


def test_an_exception_interrupts_and_a_later_event_recovers(ship, send, at, world, published):
    shipment_id, number = ship(postal_code="94013")
    send("usps", event(number, 1, "accepted", 4), event(number, 3, "out_for_delivery", 60))
    assert send("usps", event(number, 4, "exception", 65)) == [("applied", "exception")]
    # older news, or news behind the progress made, does not lift the exception
    assert send("usps", event(number, 2, "in_transit", 20)) == [("stored", "exception")]
    assert send("usps", event(number, 9, "in_transit", 70)) == [("stored", "exception")]
    assert send("usps", event(number, 5, "out_for_delivery", 84)) == [
        ("applied", "out_for_delivery")
    ]
    assert send("usps", event(number, 6, "delivered", 90)) == [("applied", "delivered")]
    assert send("usps", event(number, 7, "exception", 95)) == [("stored", "delivered")]
    assert [p["status"] for p in published][-3:] == ["exception", "out_for_delivery", "delivered"]


def test_the_decision_rule_and_the_state_table_agree():
    at = START
    later = START + timedelta(hours=1)
    assert decide("label_created", 0, None, "delivered", at).new_state == "delivered"
    assert not decide("delivered", 4, at, "exception", later).applied
    assert decide("customs", 2, at, "customs", later).new_state is None  # confirms
    assert not decide("customs", 2, at, "in_transit", later).applied  # behind the progress
    assert decide("exception", 2, at, "customs", later).new_state == "customs"  # recovers
    for state in SHIPMENT.states - {"delivered"}:
        assert SHIPMENT.transition(state, "delivered").target == "delivered"
