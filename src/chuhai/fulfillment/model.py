"""Shipments without I/O: what a shipment is to a carrier, the tracking events a carrier
reports, the shipment's state machine and the rule that decides whether an event moves it.

States: label_created → in_transit → customs → out_for_delivery → delivered, and
exception from any state before delivered, recoverable. Carriers report events with a
status (accepted and in_transit both mean in transit). Events can arrive late, twice or out
of order, so a shipment only moves *forward*: an event is applied when the shipment is not
delivered yet, the event is not older than the latest applied one, and its status is not
behind the progress the shipment has made (an exception is never "behind"). A late
in_transit after delivered is stored but changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pycountry

from chuhai.core.errors import FieldError
from chuhai.core.statemachine import StateMachine, Transition


class State:
    LABEL_CREATED = "label_created"
    IN_TRANSIT = "in_transit"
    CUSTOMS = "customs"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"


STATES = (
    State.LABEL_CREATED,
    State.IN_TRANSIT,
    State.CUSTOMS,
    State.OUT_FOR_DELIVERY,
    State.DELIVERED,
    State.EXCEPTION,
)
FINAL_STATES = frozenset({State.DELIVERED})
OPEN_STATES = tuple(s for s in STATES if s not in FINAL_STATES)

# what each carrier status means for the shipment's state
EVENT_STATES: dict[str, str] = {
    "accepted": State.IN_TRANSIT,
    "in_transit": State.IN_TRANSIT,
    "customs": State.CUSTOMS,
    "out_for_delivery": State.OUT_FOR_DELIVERY,
    "delivered": State.DELIVERED,
    "exception": State.EXCEPTION,
}
EVENT_STATUSES = tuple(EVENT_STATES)

# how far along a shipment is; exception has no rank (it interrupts, it does not advance)
PROGRESS: dict[str, int] = {
    State.LABEL_CREATED: 0,
    State.IN_TRANSIT: 1,
    State.CUSTOMS: 2,
    State.OUT_FOR_DELIVERY: 3,
    State.DELIVERED: 4,
}

_NOT_DELIVERED = frozenset(OPEN_STATES)
SHIPMENT = StateMachine(
    "shipment",
    [
        Transition(
            State.IN_TRANSIT,
            frozenset({State.LABEL_CREATED, State.EXCEPTION}),
            State.IN_TRANSIT,
            "shipments.manage",
        ),
        Transition(
            State.CUSTOMS,
            frozenset({State.LABEL_CREATED, State.IN_TRANSIT, State.EXCEPTION}),
            State.CUSTOMS,
            "shipments.manage",
        ),
        Transition(
            State.OUT_FOR_DELIVERY,
            frozenset({State.LABEL_CREATED, State.IN_TRANSIT, State.CUSTOMS, State.EXCEPTION}),
            State.OUT_FOR_DELIVERY,
            "shipments.manage",
        ),
        Transition(State.DELIVERED, _NOT_DELIVERED, State.DELIVERED, "shipments.manage"),
        Transition(
            State.EXCEPTION, _NOT_DELIVERED - {State.EXCEPTION}, State.EXCEPTION, "shipments.manage"
        ),
    ],
)


@dataclass(frozen=True)
class Decision:
    applied: bool
    new_state: str | None  # None when the state stays as it is
    reason: str


def decide(
    state: str,
    progress: int,
    last_event_at: datetime | None,
    status: str,
    occurred_at: datetime,
) -> Decision:
    """Whether a carrier event applies to a shipment in `state` that has made `progress`
    (the rank of the furthest state it reached) and whose latest applied event happened at
    `last_event_at`; and the state it moves to."""
    if state in FINAL_STATES:
        return Decision(False, None, f"the shipment is already {state}")
    if last_event_at is not None and occurred_at < last_event_at:
        return Decision(False, None, "older than the latest event applied")
    target = EVENT_STATES[status]
    if target != State.EXCEPTION and PROGRESS[target] < progress:
        return Decision(False, None, "behind the progress the shipment has made")
    if target == state:
        return Decision(True, None, "confirms the current state")
    SHIPMENT.transition(state, target)  # the table is the last word on what may follow what
    return Decision(True, target, f"moves the shipment to {target.replace('_', ' ')}")


# --- what a carrier sees ------------------------------------------------------------------------

SHIP_TO_REQUIRED = ("name", "line1", "city", "postal_code", "country_code")
SHIP_TO_OPTIONAL = ("line2", "region", "phone")
SHIP_TO_LIMITS = {
    "name": 200,
    "line1": 200,
    "line2": 200,
    "city": 100,
    "region": 100,
    "postal_code": 20,
    "country_code": 2,
    "phone": 40,
}


def ship_to_errors(ship_to: Any) -> list[FieldError]:
    """The address a label is printed with: the required lines present, nothing unknown,
    nothing too long, a real country. (Checking a postal code against its country's pattern
    is the checkout's work; a carrier prints what it is given.)"""
    if not isinstance(ship_to, dict):
        return [FieldError("ship_to", "an object with name, line1, city, postal_code, ...")]
    found = []
    for name in sorted(set(ship_to) - set(SHIP_TO_LIMITS)):
        found.append(FieldError(f"ship_to.{name}", "not an address field"))
    for name, limit in SHIP_TO_LIMITS.items():
        value = ship_to.get(name, "")
        if not isinstance(value, str):
            found.append(FieldError(f"ship_to.{name}", "must be text"))
        elif name in SHIP_TO_REQUIRED and not value.strip():
            found.append(FieldError(f"ship_to.{name}", "required"))
        elif len(value) > limit:
            found.append(FieldError(f"ship_to.{name}", f"at most {limit} characters"))
    country = ship_to.get("country_code")
    if isinstance(country, str) and country.strip() and not _is_country(country):
        found.append(
            FieldError("ship_to.country_code", "an ISO 3166-1 alpha-2 country code, e.g. DE")
        )
    return found


def _is_country(code: str) -> bool:
    return code == code.upper() and pycountry.countries.get(alpha_2=code) is not None


def clean_ship_to(ship_to: dict[str, Any]) -> dict[str, str]:
    return {name: str(ship_to.get(name, "")).strip() for name in SHIP_TO_LIMITS}


@dataclass(frozen=True)
class Origin:
    warehouse_id: str
    name: str
    city: str
    country_code: str


@dataclass(frozen=True)
class Shipment:
    """A shipment as a carrier sees it: where from, where to, what it weighs, which service."""

    id: str
    carrier: str
    service: str
    origin: Origin
    ship_to: dict[str, str]
    weight_g: int
    items: tuple[tuple[str, int], ...]  # (SKU code, units), for the label
    created_at: datetime
    order_ref: str = ""
    tracking_number: str = ""

    @property
    def cross_border(self) -> bool:
        return self.origin.country_code != self.ship_to["country_code"]


@dataclass(frozen=True)
class TrackingEvent:
    """One event as the carrier reports it."""

    event_id: str
    tracking_number: str
    status: str
    occurred_at: datetime
    location: str = ""
    description: str = ""

    def as_json(self) -> dict[str, str]:
        return {
            "event_id": self.event_id,
            "tracking_number": self.tracking_number,
            "status": self.status,
            "occurred_at": self.occurred_at.isoformat(),
            "location": self.location,
            "description": self.description,
        }


@dataclass(frozen=True)
class EventResult:
    """What became of one event of a webhook delivery."""

    event_id: str
    tracking_number: str
    outcome: str  # applied | stored | duplicate | rejected
    state: str | None = None  # the shipment's state afterwards
    reason: str = ""
    field: str | None = None  # for a rejected event: events[i].<field>

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "event_id": self.event_id,
            "tracking_number": self.tracking_number,
            "outcome": self.outcome,
            "state": self.state,
            "reason": self.reason,
        }
        if self.field:
            body["field"] = self.field
        return body


@dataclass
class Batch:
    results: list[EventResult] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def all_rejected(self) -> bool:
        return bool(self.results) and self.count("rejected") == len(self.results)
