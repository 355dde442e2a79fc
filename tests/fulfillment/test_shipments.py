"""Creating shipments through the service: the route rule picks carrier and service, the
label is bought and stored, the history and the event are recorded; bad input is refused
naming the field with nothing written; reading is for operators only."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from chuhai.core import events
from chuhai.core.errors import Forbidden, NotFound, ValidationFailed
from chuhai.core.tables import StoredFileRow
from chuhai.fulfillment import carriers, service
from chuhai.fulfillment.tables import ShipmentHistoryRow, ShipmentRow
from fulfillment.shipping_examples import ADDRESSES, START


@pytest.fixture
def published():
    """Every "shipment.status_changed" payload published while the test runs."""
    seen: list[dict] = []

    def handler(ctx, payload):
        seen.append(payload)

    events.subscribe(service.STATUS_CHANGED, handler)
    yield seen
    events._subscribers[service.STATUS_CHANGED].remove(handler)


def test_a_shipment_from_los_angeles_goes_by_usps_with_a_label_and_history(
    ship, at, world, skus, published
):
    shipment_id, number = ship()
    with at(world["logistics"]) as ctx:
        view = service.shipment_view(ctx, shipment_id)
        row = view.row
        assert (row.carrier, row.service, row.state) == (
            "usps",
            "ground-advantage",
            "label_created",
        )
        assert carriers.is_valid_tracking_number(
            carriers.carrier_book().service("usps", "ground-advantage").tracking, number
        )
        assert row.lines == [{"sku_id": skus[0], "quantity": 2}, {"sku_id": skus[1], "quantity": 1}]
        assert row.parcels[0]["weight_g"] == 1200
        assert row.created_at == START and row.created_by == world["logistics"].user_id
        assert (view.transit_days, view.customs, view.service_name) == (
            3,
            False,
            "USPS Ground Advantage",
        )
        [entry] = view.history
        assert (entry.from_state, entry.to_state) == (None, "label_created")
        assert "USPS Ground Advantage, 3 days" in entry.reason
        filename, pdf = service.label_pdf(ctx, shipment_id)
        assert filename == f"label-{number}.pdf" and pdf.startswith(b"%PDF-")
        assert number.encode() in pdf
    assert published == [
        {
            "shipment_id": shipment_id,
            "order_id": "ord_test_1",
            "status": "label_created",
            "at": START,
        }
    ]


def test_an_order_for_germany_from_china_goes_by_epacket_through_customs(ship, at, world):
    shipment_id, number = ship("DE", "CN-GZ")
    with at(world["logistics"]) as ctx:
        view = service.shipment_view(ctx, shipment_id)
        assert (view.row.carrier, view.row.service, view.customs) == ("china-post", "epacket", True)
        assert number.startswith("LX") and number.endswith("CN")
        assert view.row.ship_to["name"] == "Lena Schäfer"


def test_shipments_of_an_order_lists_them_oldest_first(ship, at, world, clock):
    from datetime import timedelta

    first, _ = ship(order_id="ord_split")
    clock.advance(timedelta(minutes=5))
    second, _ = ship("US", "CN-GZ", order_id="ord_split")
    ship(order_id="ord_other")
    with at(world["logistics"]) as ctx:
        assert [s.id for s in service.shipments_of_order(ctx.session, "ord_split")] == [
            first,
            second,
        ]
        assert service.shipments_of_order(ctx.session, "ord_none") == []


def _refusal(at, world, skus, **changes):
    request = dict(
        order_id="ord_bad",
        warehouse_id="US-LAX",
        ship_to=dict(ADDRESSES["US"]),
        lines=[(skus[0], 1)],
        weight_g=500,
    )
    request.update(changes)
    with at(world["logistics"]) as ctx, pytest.raises(ValidationFailed) as refused:
        service.create_shipment(ctx, **request)
    return {e.field: e.message for e in refused.value.errors}


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"warehouse_id": "XX-NOPE"}, "warehouse_id", "no warehouse"),
        ({"order_id": ""}, "order_id", "required"),
        ({"weight_g": 0}, "weight_g", "between 1"),
        ({"weight_g": 80_000}, "weight_g", "between 1"),
        ({"weight_g": "1200"}, "weight_g", "whole number"),
        ({"lines": []}, "lines", "at least one"),
        ({"lines": [("sku_missing", 1)]}, "lines[0].sku_id", "no SKU"),
        ({"lines": [("{sku}", 0)]}, "lines[0].quantity", "between 1"),
        ({"lines": [("{sku}", -3)]}, "lines[0].quantity", "between 1"),
        ({"lines": [("{sku}", 10**9)]}, "lines[0].quantity", "between 1"),
        ({"lines": [("{sku}", 1), ("{sku}", 2)]}, "lines[1].sku_id", "earlier line"),
        ({"lines": [("{sku}",)]}, "lines[0]", "a pair"),
    ],
)
def test_bad_input_is_refused_naming_the_field(at, world, skus, changes, field, words):
    if "lines" in changes:
        changes = {
            "lines": [
                tuple(skus[0] if v == "{sku}" else v for v in line) for line in changes["lines"]
            ]
        }
    errors = _refusal(at, world, skus, **changes)
    assert field in errors and words in errors[field], errors


def test_a_bad_address_is_refused_field_by_field(at, world, skus):
    address = dict(ADDRESSES["US"], name="", country_code="usa", apartment="4B", city="x" * 101)
    errors = _refusal(at, world, skus, ship_to=address)
    assert set(errors) == {
        "ship_to.name",
        "ship_to.country_code",
        "ship_to.apartment",
        "ship_to.city",
    }
    assert _refusal(at, world, skus, ship_to="Mountain View") == {
        "ship_to": "an object with name, line1, city, postal_code, ..."
    }


def test_a_destination_no_route_reaches_and_a_parcel_too_heavy_are_refused(at, world, skus):
    errors = _refusal(at, world, skus, ship_to=dict(ADDRESSES["DE"]))
    assert "no carrier route from US-LAX (US) to DE" in errors["ship_to.country_code"]
    errors = _refusal(at, world, skus, warehouse_id="CN-GZ", weight_g=45_000)
    assert "split it into several shipments" in errors["weight_g"]


def test_a_refused_shipment_leaves_nothing_behind(at, world, skus, db):
    _refusal(at, world, skus, lines=[(skus[0], 1), ("sku_missing", 1)])
    _refusal(at, world, skus, ship_to=dict(ADDRESSES["DE"]))
    with db.unit_of_work() as uow:
        for table in (ShipmentRow, ShipmentHistoryRow, StoredFileRow):
            assert uow.session.scalar(select(func.count()).select_from(table)) == 0


def test_only_logistics_creates_and_only_operators_read(at, world, skus, ship):
    shipment_id, _ = ship()
    with at(world["merchandiser"]) as ctx, pytest.raises(Forbidden):
        service.create_shipment(
            ctx,
            order_id="o",
            warehouse_id="US-LAX",
            ship_to=ADDRESSES["US"],
            lines=[(skus[0], 1)],
            weight_g=100,
        )
    with at(world["merchandiser"]) as ctx:
        assert service.visible_shipment(ctx, shipment_id).id == shipment_id
    with at(world["supplier_a"]) as ctx, pytest.raises(Forbidden):
        service.visible_shipment(ctx, shipment_id)
    with at(world["logistics"]) as ctx, pytest.raises(NotFound) as missing:
        service.visible_shipment(ctx, "shp_nope")
    assert missing.value.field == "shipment_id"


def test_listing_filters_by_state_order_carrier_and_tracking_number(ship, at, world):
    us, us_number = ship(order_id="ord_us")
    de, _ = ship("DE", "CN-GZ", order_id="ord_de")
    with at(world["logistics"]) as ctx:

        def ids(**filters):
            return {r.id for r in service.list_shipments(ctx, **filters).items}

        assert ids() == {us, de}
        assert ids(carrier="usps") == {us}
        assert ids(order_id="ord_de") == {de}
        assert ids(search=us_number[-8:]) == {us}
        assert ids(state="delivered") == set()
        with pytest.raises(ValidationFailed) as bad:
            service.list_shipments(ctx, state="lost")
        assert bad.value.field == "state"
        with pytest.raises(ValidationFailed) as bad:
            service.list_shipments(ctx, carrier="pigeon")
        assert bad.value.field == "carrier"
