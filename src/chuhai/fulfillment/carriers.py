"""Carriers: the `Carrier` protocol, the carrier book (services and routes, as data) and the
sandbox carrier that behaves like a real one.

Which carrier and service carry a parcel is a rule in `data/fulfillment/carriers.json`:
per origin country (the warehouse's) and destination country, the first route whose
service takes the parcel's weight, an exact destination before a "*" one.

The `SandboxCarrier` issues tracking numbers in each real carrier's format (UPU S10 with its
check digit for postal items, USPS IMpb, DHL's SSCC, Japan Post's mod-7), prints a label PDF
and plays out a timeline of tracking events derived only from the shipment (its id, when
its label was bought, its route and its postal code), so the same shipment always has the
same events at the same times. What has happened "by now" is the part of the timeline at or
before the time asked for, so the injectable clock drives the sandbox world.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any, Protocol

from chuhai.core.errors import ValidationFailed
from chuhai.fulfillment import labels
from chuhai.fulfillment.model import Shipment, TrackingEvent

# --- the carrier book ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Service:
    carrier: str
    carrier_name: str
    code: str
    name: str
    max_weight_g: int
    tracking: dict[str, Any]


@dataclass(frozen=True)
class Route:
    origin: str
    destination: str  # a country code, or "*" for any
    carrier: str
    service: str
    transit_days: int
    customs: bool
    min_weight_g: int = 0


@dataclass(frozen=True)
class TimelineStep:
    status: str
    at: float  # a fraction of the transit time
    offset_hours: float
    where: str  # origin | destination | destination_country
    description: str


@dataclass(frozen=True)
class ExceptionRule:
    postal_code_suffixes: tuple[str, ...]
    after: str
    offset_hours: float
    description: str
    retry_after_hours: float

    def applies_to(self, postal_code: str) -> bool:
        compact = postal_code.replace(" ", "").upper()
        return any(compact.endswith(suffix) for suffix in self.postal_code_suffixes)


@dataclass(frozen=True)
class CarrierBook:
    carriers: dict[str, str]  # code -> name
    services: dict[tuple[str, str], Service]
    routes: tuple[Route, ...]
    timelines: dict[str, tuple[TimelineStep, ...]]
    jitter_minutes: int
    exception: ExceptionRule
    source: str

    def route_for(self, origin: str, destination: str, weight_g: int) -> Route | None:
        """The first route from `origin` to `destination` whose service takes the weight; a
        route named for the destination before one for any ("*")."""
        exact = [r for r in self.routes if r.origin == origin and r.destination == destination]
        wildcard = [r for r in self.routes if r.origin == origin and r.destination == "*"]
        for route in exact + wildcard:
            service = self.services[(route.carrier, route.service)]
            if route.min_weight_g <= weight_g <= service.max_weight_g:
                return route
        return None

    def heaviest_parcel(self, origin: str, destination: str) -> int:
        """The most any route from `origin` to `destination` carries in one parcel (0: none)."""
        return max(
            (
                self.services[(r.carrier, r.service)].max_weight_g
                for r in self.routes
                if r.origin == origin and r.destination in (destination, "*")
            ),
            default=0,
        )

    def service(self, carrier: str, service: str) -> Service:
        return self.services[(carrier, service)]

    def route_of(self, shipment: Shipment) -> Route | None:
        """The route a shipment was booked on (its carrier and service between its countries)."""
        candidates = [
            r
            for r in self.routes
            if r.origin == shipment.origin.country_code
            and r.destination in (shipment.ship_to["country_code"], "*")
            and (r.carrier, r.service) == (shipment.carrier, shipment.service)
        ]
        candidates.sort(key=lambda r: r.destination == "*")
        return candidates[0] if candidates else None


def _book_of(data: dict[str, Any]) -> CarrierBook:
    carriers = {code: item["name"] for code, item in data["carriers"].items()}
    services = {
        (s["carrier"], s["service"]): Service(
            s["carrier"],
            carriers[s["carrier"]],
            s["service"],
            s["name"],
            s["max_weight_g"],
            s["tracking"],
        )
        for s in data["services"]
    }
    routes = tuple(Route(**r) for r in data["routes"])
    for route in routes:
        if (route.carrier, route.service) not in services:
            raise ValueError(f"route {route} names an unknown service")
    timelines = {
        name: tuple(TimelineStep(**step) for step in steps)
        for name, steps in data["timelines"].items()
    }
    rule = data["exception"]
    return CarrierBook(
        carriers=carriers,
        services=services,
        routes=routes,
        timelines=timelines,
        jitter_minutes=data["jitter_minutes"],
        exception=ExceptionRule(
            tuple(rule["postal_code_suffixes"]),
            rule["after"],
            rule["offset_hours"],
            rule["description"],
            rule["retry_after_hours"],
        ),
        source=data["source"],
    )


@cache
def carrier_book() -> CarrierBook:
    text = resources.files("chuhai.data").joinpath("fulfillment/carriers.json").read_text("utf-8")
    return _book_of(json.loads(text))


# --- tracking numbers ---------------------------------------------------------------------------

_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def s10_check_digit(serial: str) -> str:
    """The UPU S10 check digit of an eight-digit serial number."""
    total = sum(int(d) * w for d, w in zip(serial, _S10_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "0", 11: "5"}.get(check, str(check))


def gs1_check_digit(digits: str) -> str:
    """The GS1 mod-10 check digit (weights 3, 1, ... from the right), as USPS IMpb and SSCC use."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def tracking_number(tracking: dict[str, Any], serial: int) -> str:
    """A tracking number in the service's format from a serial number."""
    kind = tracking["format"]
    if kind == "s10":
        body = f"{serial % 10**8:08d}"
        return f"{tracking['prefix']}{body}{s10_check_digit(body)}{tracking['country']}"
    if kind == "gs1":
        width = tracking["digits"] - len(tracking["prefix"]) - 1
        body = f"{tracking['prefix']}{serial % 10**width:0{width}d}"
        return body + gs1_check_digit(body)
    if kind == "mod7":
        width = tracking["digits"] - 1
        body = f"{serial % 10**width:0{width}d}"
        return body + str(int(body) % 7)
    if kind == "plain":
        width = tracking["digits"]
        return f"{tracking['prefix']}{serial % 10**width:0{width}d}"
    raise ValueError(f"unknown tracking-number format {kind!r}")


def is_valid_tracking_number(tracking: dict[str, Any], number: str) -> bool:
    kind = tracking["format"]
    if kind == "s10":
        body = number[2:10]
        return (
            len(number) == 13
            and number.startswith(tracking["prefix"])
            and number.endswith(tracking["country"])
            and body.isdigit()
            and number[10] == s10_check_digit(body)
        )
    if kind == "gs1":
        return (
            len(number) == tracking["digits"]
            and number.isdigit()
            and number.startswith(tracking["prefix"])
            and number[-1] == gs1_check_digit(number[:-1])
        )
    if kind == "mod7":
        return (
            len(number) == tracking["digits"]
            and number.isdigit()
            and number[-1] == str(int(number[:-1]) % 7)
        )
    return number.startswith(tracking["prefix"]) and number[len(tracking["prefix"]) :].isdigit()


# --- the protocol -------------------------------------------------------------------------------


class Carrier(Protocol):
    code: str

    def buy_label(self, shipment: Shipment) -> tuple[str, bytes]:
        """Book the parcel: its tracking number and the label to stick on it (PDF)."""
        ...

    def tracking_events(self, shipment: Shipment, until: datetime) -> list[TrackingEvent]:
        """What the carrier knows of the parcel up to `until`, oldest first."""
        ...


# --- the sandbox --------------------------------------------------------------------------------


def _digest(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("|".join(parts).encode()).digest()[:8], "big")


class SandboxCarrier:
    """A carrier that runs on data: numbers in the real format, a real label, a deterministic
    timeline. `taken` says whether a tracking number is already in use, as a real carrier's
    register would; the sandbox never issues one twice."""

    def __init__(
        self, code: str, taken: Callable[[str], bool], book: CarrierBook | None = None
    ) -> None:
        self.book = book or carrier_book()
        if code not in self.book.carriers:
            raise ValueError(f"no carrier {code!r}")
        self.code = code
        self.name = self.book.carriers[code]
        self._taken = taken

    def buy_label(self, shipment: Shipment) -> tuple[str, bytes]:
        service = self.book.service(self.code, shipment.service)
        if shipment.weight_g > service.max_weight_g:
            raise ValidationFailed.one(
                "weight_g", f"{service.name} takes at most {service.max_weight_g:,} g"
            )
        number = self._new_tracking_number(shipment, service)
        route = self.book.route_of(shipment)
        transit_days = route.transit_days if route else None
        pdf = labels.label_pdf(shipment, number, self.name, service.name, transit_days)
        return number, pdf

    def _new_tracking_number(self, shipment: Shipment, service: Service) -> str:
        serial = _digest(shipment.id, self.code, service.code)
        for attempt in range(1000):
            number = tracking_number(service.tracking, serial + attempt)
            if not self._taken(number):
                return number
        raise RuntimeError("the sandbox carrier ran out of tracking numbers near this serial")

    def timeline(self, shipment: Shipment) -> list[TrackingEvent]:
        """Every event the parcel will have, oldest first (the same for the same shipment)."""
        route = self.book.route_of(shipment)
        if route is None or not shipment.tracking_number:
            return []
        steps = self.book.timelines["customs" if route.customs else "domestic"]
        start = shipment.created_at
        transit = timedelta(days=route.transit_days)
        planned: list[tuple[TimelineStep, datetime]] = []
        previous = start
        for index, step in enumerate(steps):
            jitter = _digest(shipment.id, str(index)) % (self.book.jitter_minutes + 1)
            at = start + transit * step.at + timedelta(hours=step.offset_hours, minutes=jitter)
            at = max(at, previous + timedelta(minutes=1))  # the carrier's clock never runs back
            planned.append((step, at))
            previous = at
        if self.book.exception.applies_to(shipment.ship_to["postal_code"]):
            planned = self._with_exception(planned)
        return [
            TrackingEvent(
                event_id=f"{shipment.tracking_number}-{index + 1:02d}",
                tracking_number=shipment.tracking_number,
                status=step.status,
                occurred_at=at.replace(second=0, microsecond=0),
                location=self._location(shipment, step.where),
                description=step.description,
            )
            for index, (step, at) in enumerate(planned)
        ]

    def _with_exception(
        self, planned: list[tuple[TimelineStep, datetime]]
    ) -> list[tuple[TimelineStep, datetime]]:
        """A failed delivery attempt after the rule's step; then a retry the next day, and
        everything after it shifted by that delay."""
        rule = self.book.exception
        position = next(i for i, (step, _) in enumerate(planned) if step.status == rule.after)
        step, at = planned[position]
        failed = TimelineStep("exception", 0, 0, step.where, rule.description)
        delay = timedelta(hours=rule.retry_after_hours)
        retried = [(s, t + delay) for s, t in planned[position:]]
        return (
            planned[: position + 1] + [(failed, at + timedelta(hours=rule.offset_hours))] + retried
        )

    def _location(self, shipment: Shipment, where: str) -> str:
        origin, to = shipment.origin, shipment.ship_to
        if where == "origin":
            return f"{origin.city}, {origin.country_code}"
        if where == "destination_country":
            return to["country_code"]
        return f"{to['city']}, {to['country_code']}"

    def tracking_events(self, shipment: Shipment, until: datetime) -> list[TrackingEvent]:
        return [event for event in self.timeline(shipment) if event.occurred_at <= until]


def carrier_for(code: str, taken: Callable[[str], bool]) -> Carrier:
    """The carrier that handles `code`. Every carrier of the book is played by the sandbox
    until an adapter for the real one implements `Carrier`."""
    return SandboxCarrier(code, taken)


def is_known_carrier(code: str) -> bool:
    return code in carrier_book().carriers
