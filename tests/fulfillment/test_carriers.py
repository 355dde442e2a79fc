"""The carrier book and the sandbox carrier, without a database: route rules, tracking
numbers in each carrier's real format, the label PDF (its barcode read back bar by bar),
and the timeline of tracking events with its exception rule."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from chuhai.fulfillment import carriers, labels
from chuhai.fulfillment.carriers import SandboxCarrier, carrier_book
from chuhai.fulfillment.model import Origin, Shipment

CREATED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LAX = Origin("US-LAX", "Los Angeles (Ontario, CA) overseas warehouse", "Ontario", "US")
GUANGZHOU = Origin("CN-GZ", "Guangzhou Baiyun consolidation warehouse", "Guangzhou", "CN")


def parcel(origin: Origin = LAX, postal_code: str = "94043", country: str = "US", **changes):
    book = carrier_book()
    route = book.route_for(origin.country_code, country, 1200)
    assert route is not None
    values = dict(
        id="shp_test_0001",
        carrier=route.carrier,
        service=route.service,
        origin=origin,
        ship_to={
            "name": "Jordan Miller",
            "line1": "1600 Amphitheatre Pkwy",
            "line2": "",
            "city": "Mountain View",
            "region": "CA",
            "postal_code": postal_code,
            "country_code": country,
            "phone": "",
        },
        weight_g=1200,
        items=(("MUG-WHT", 2), ("MUG-BLK", 1)),
        created_at=CREATED,
        order_ref="ord_1",
    )
    values.update(changes)
    return Shipment(**values)


def booked(shipment: Shipment) -> Shipment:
    carrier = SandboxCarrier(shipment.carrier, lambda number: False)
    number, _ = carrier.buy_label(shipment)
    return Shipment(**{**shipment.__dict__, "tracking_number": number})


# --- routes -------------------------------------------------------------------------------------


def test_routes_pick_the_domestic_service_of_an_overseas_warehouse_and_mail_from_china():
    book = carrier_book()
    us = book.route_for("US", "US", 1200)
    assert (us.carrier, us.service, us.customs) == ("usps", "ground-advantage", False)
    germany_from_china = book.route_for("CN", "DE", 1200)
    assert (germany_from_china.carrier, germany_from_china.customs) == ("china-post", True)
    france_from_frankfurt = book.route_for("DE", "FR", 1200)
    assert france_from_frankfurt.service == "paket-international"
    assert book.route_for("CN", "CN", 1200).carrier == "sf-express"


def test_a_heavy_parcel_from_china_goes_by_ems_and_an_unknown_lane_has_no_route():
    book = carrier_book()
    assert book.route_for("CN", "US", 1200).service == "epacket"
    assert book.route_for("CN", "US", 5000).service == "ems"
    assert book.route_for("CN", "BR", 1200).transit_days == 12  # the "*" route
    assert book.route_for("US", "DE", 1200) is None  # LA serves the US only
    assert book.route_for("CN", "US", 40_000) is None
    assert book.heaviest_parcel("CN", "US") == 30_000


# --- tracking numbers ---------------------------------------------------------------------------


def test_s10_check_digit_matches_the_upu_example():
    # the standard's worked example: 47312482 weighs to 200, 11 - 200 mod 11 = 9
    assert carriers.s10_check_digit("47312482") == "9"
    assert carriers.s10_check_digit("00000000") == "5"  # 11 - 0 = 11 is written 5


def test_every_service_issues_numbers_in_its_format_that_validate():
    book = carrier_book()
    patterns = {
        "s10": r"^[A-Z]{2}\d{9}[A-Z]{2}$",
        "gs1": r"^\d{20,22}$",
        "mod7": r"^\d{12}$",
        "plain": r"^SF\d{13}$",
    }
    for service in book.services.values():
        for serial in (0, 7, 123456789012345):
            number = carriers.tracking_number(service.tracking, serial)
            assert re.match(patterns[service.tracking["format"]], number), number
            assert carriers.is_valid_tracking_number(service.tracking, number)
    usps = book.service("usps", "ground-advantage").tracking
    number = carriers.tracking_number(usps, 42)
    assert number.startswith("94001") and len(number) == 22
    broken = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert not carriers.is_valid_tracking_number(usps, broken)


def test_the_sandbox_never_issues_a_number_in_use():
    shipment = parcel()
    first, _ = SandboxCarrier("usps", lambda number: False).buy_label(shipment)
    second, _ = SandboxCarrier("usps", lambda number: number == first).buy_label(shipment)
    assert first != second
    assert carriers.is_valid_tracking_number(
        carrier_book().service("usps", "ground-advantage").tracking, second
    )


# --- the label ----------------------------------------------------------------------------------


def read_code39(pdf: bytes) -> str:
    """Decode the Code 39 barcode drawn in an uncompressed PDF from its filled rectangles."""
    bars = [
        (float(x), float(w))
        for x, w, h in re.findall(rb"([\d.]+) [\d.]+ ([\d.]+) (-?[\d.]+) re f", pdf)
        if abs(float(h)) > 40  # the barcode's bars are tall; the label's lines are not
    ]
    bars.sort()
    narrow = min(w for _, w in bars)
    widths = []  # bar, space, bar, space, ...
    for (x, w), (next_x, _) in zip(bars, bars[1:] + [(None, None)], strict=True):
        widths.append(w)
        if next_x is not None:
            widths.append(next_x - x - w)
    table = {
        pattern: char
        for char, pattern in {
            "0": "nnnwwnwnn",
            "1": "wnnwnnnnw",
            "2": "nnwwnnnnw",
            "3": "wnwwnnnnn",
            "4": "nnnwwnnnw",
            "5": "wnnwwnnnn",
            "6": "nnwwwnnnn",
            "7": "nnnwnnwnw",
            "8": "wnnwnnwnn",
            "9": "nnwwnnwnn",
            "A": "wnnnnwnnw",
            "B": "nnwnnwnnw",
            "C": "wnwnnwnnn",
            "D": "nnnnwwnnw",
            "E": "wnnnwwnnn",
            "F": "nnwnwwnnn",
            "G": "nnnnnwwnw",
            "H": "wnnnnwwnn",
            "I": "nnwnnwwnn",
            "J": "nnnnwwwnn",
            "K": "wnnnnnnww",
            "L": "nnwnnnnww",
            "M": "wnwnnnnwn",
            "N": "nnnnwnnww",
            "O": "wnnnwnnwn",
            "P": "nnwnwnnwn",
            "Q": "nnnnnnwww",
            "R": "wnnnnnwwn",
            "S": "nnwnnnwwn",
            "T": "nnnnwnwwn",
            "U": "wwnnnnnnw",
            "V": "nwwnnnnnw",
            "W": "wwwnnnnnn",
            "X": "nwnnwnnnw",
            "Y": "wwnnwnnnn",
            "Z": "nwwnwnnnn",
            "*": "nwnnwnwnn",
        }.items()  # fmt: skip
    }
    marks = "".join("w" if width > 2 * narrow else "n" for width in widths)
    chars = [table[marks[i : i + 9]] for i in range(0, len(marks), 10)]  # 9 + a gap
    return "".join(chars)


def test_the_label_carries_the_addresses_service_weight_and_a_readable_barcode():
    shipment = parcel()
    number, pdf = SandboxCarrier("usps", lambda n: False).buy_label(shipment)
    assert pdf.startswith(b"%PDF-")
    assert read_code39(pdf) == f"*{number}*"
    for text in (
        number,
        "USPS Ground Advantage - 3 days",
        "Jordan Miller",
        "Mountain View CA 94043",  # US order: city, state, ZIP
        "Los Angeles \\(Ontario, CA\\) overseas warehouse",
        "Weight: 1.200 kg",
        "Contents: 2 x MUG-WHT, 1 x MUG-BLK",
    ):
        assert f"({text})".encode() in pdf, text


def test_a_label_is_the_same_bytes_for_the_same_shipment_and_its_barcode_fits():
    carrier = SandboxCarrier("usps", lambda n: False)
    number, pdf = carrier.buy_label(parcel())
    assert carrier.buy_label(parcel()) == (number, pdf)
    bar_ends = [
        float(x) + float(w) for x, w in re.findall(rb"([\d.]+) [\d.]+ ([\d.]+) -62.36 re f", pdf)
    ]
    assert len(bar_ends) == (len(number) + 2) * 5  # five bars per Code 39 character
    right_margin_pt = (labels.WIDTH_MM - labels.MARGIN_MM) * 72 / 25.4
    assert max(bar_ends) <= right_margin_pt + 0.01


def test_a_label_lists_at_most_eight_lines_of_contents():
    items = tuple((f"SKU-{i}", 1) for i in range(12))
    _, pdf = SandboxCarrier("usps", lambda n: False).buy_label(parcel(items=items))
    assert b"1 x SKU-7 and 4 more line\\(s\\))" in pdf


def test_a_parcel_heavier_than_the_service_takes_is_refused():
    from chuhai.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        SandboxCarrier("china-post", lambda n: False).buy_label(
            parcel(GUANGZHOU, weight_g=2500, carrier="china-post", service="epacket")
        )
    assert refused.value.field == "weight_g"


# --- the timeline -------------------------------------------------------------------------------


def test_a_domestic_parcel_is_accepted_moves_and_is_delivered_on_its_transit_day():
    shipment = booked(parcel())
    events = SandboxCarrier("usps", lambda n: False).timeline(shipment)
    assert [e.status for e in events] == [
        "accepted",
        "in_transit",
        "in_transit",
        "out_for_delivery",
        "delivered",
    ]
    times = [e.occurred_at for e in events]
    assert times == sorted(times) and times[0] > CREATED
    assert events[-1].occurred_at.date() == (CREATED + timedelta(days=3)).date()
    assert events[0].location == "Ontario, US"
    assert events[-1].location == "Mountain View, US"
    assert [e.event_id for e in events] == [f"{shipment.tracking_number}-0{i}" for i in range(1, 6)]


def test_mail_from_china_passes_customs_before_delivery():
    shipment = booked(parcel(GUANGZHOU, postal_code="10117", country="DE"))
    events = SandboxCarrier("china-post", lambda n: False).timeline(shipment)
    statuses = [e.status for e in events]
    assert statuses.count("customs") == 2
    assert statuses.index("customs") < statuses.index("out_for_delivery")
    assert events[-1].occurred_at.date() == (CREATED + timedelta(days=8)).date()


def test_the_timeline_is_the_same_every_time_and_differs_between_shipments():
    carrier = SandboxCarrier("usps", lambda n: False)
    one = booked(parcel())
    assert carrier.timeline(one) == carrier.timeline(booked(parcel()))
    other = booked(parcel(id="shp_test_0002"))
    assert [e.occurred_at for e in carrier.timeline(one)] != [
        e.occurred_at for e in carrier.timeline(other)
    ]


def test_what_has_happened_depends_on_the_moment_asked_about():
    shipment = booked(parcel())
    carrier = SandboxCarrier("usps", lambda n: False)
    everything = carrier.timeline(shipment)
    assert carrier.tracking_events(shipment, CREATED) == []
    midway = everything[2].occurred_at
    assert carrier.tracking_events(shipment, midway) == everything[:3]
    assert carrier.tracking_events(shipment, CREATED + timedelta(days=30)) == everything


@pytest.mark.parametrize("postal_code", ["94013", "90099"])
def test_postal_codes_the_rule_names_get_a_failed_attempt_then_delivery_a_day_later(postal_code):
    carrier = SandboxCarrier("usps", lambda n: False)
    plain = carrier.timeline(booked(parcel(postal_code="94043")))
    troubled = carrier.timeline(booked(parcel(postal_code=postal_code)))
    assert [e.status for e in troubled][-4:] == [
        "out_for_delivery",
        "exception",
        "out_for_delivery",
        "delivered",
    ]
    assert "nobody at the address" in troubled[-3].description
    assert troubled[-1].occurred_at - plain[-1].occurred_at == timedelta(hours=24)
    assert carrier_book().exception.postal_code_suffixes == ("13", "99")
