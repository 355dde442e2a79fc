"""Line-haul transfers: planning against available stock, departure into transit with the
9810 declaration, arrival with what was counted, and every refusal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from stock_helpers import START

from chuhai.catalog import service as catalog
from chuhai.core.errors import Conflict, Forbidden, InvalidTransition, OutOfStock, ValidationFailed
from chuhai.customs import declaration_service as customs
from chuhai.inventory import ledger, transfers
from chuhai.inventory import service as stock
from chuhai.inventory.service import history_of
from chuhai.inventory.transfers import ArrivalCount, TransferDraft, TransferLineDraft

# the fixtures `at`, `skus` and `stocked`
pytest_plugins = ["stock_fixtures"]


def _plan(at, world, stocked, white=60, black=20, **changes) -> str:  # type: ignore[no-untyped-def]
    values = dict(
        from_warehouse_id="CN-GZ",
        to_warehouse_id="US-LAX",
        mode="sea",
        cartons=4,
        lines=[TransferLineDraft(stocked.white, white), TransferLineDraft(stocked.black, black)],
    )
    values.update(changes)
    with at(world["logistics"]) as ctx:
        return transfers.plan(ctx, TransferDraft(**values)).id  # type: ignore[arg-type]


def _balance(at, sku: str, warehouse: str) -> ledger.Balance:  # type: ignore[no-untyped-def]
    with at() as ctx:
        return ledger.balance(ctx.session, sku, warehouse)


def _classify(unit, world, skus) -> None:  # type: ignore[no-untyped-def]
    with unit(world["customs"]) as ctx:
        for sku in (skus.white, skus.black):
            catalog.set_hs_code(ctx, sku, "691200")  # ceramic tableware


def test_a_transfer_moves_stock_abroad_through_transit(at, world, stocked):
    transfer_id = _plan(at, world, stocked)
    assert _balance(at, stocked.white, "CN-GZ").available == 100  # planning reserves nothing
    with at(world["logistics"]) as ctx:
        row = transfers.depart(ctx, transfer_id)
        assert row.eta == START.date() + timedelta(days=18)  # sea to the US, demo schedule
    assert _balance(at, stocked.white, "CN-GZ").on_hand == 40
    assert _balance(at, stocked.white, "US-LAX").in_transit == 60
    at.advance(days=17)
    with at(world["logistics"]) as ctx:
        transfers.arrive(ctx, transfer_id)
    lax = _balance(at, stocked.white, "US-LAX")
    assert (lax.in_transit, lax.on_hand) == (0, 60)
    assert _balance(at, stocked.black, "US-LAX").available == 20
    with at(world["logistics"]) as ctx:
        assert stock.check(ctx.session) == []
        history = history_of(ctx.session, "transfer", transfer_id)
        assert [(h.action, h.to_state) for h in history] == [
            ("plan", "planned"),
            ("depart", "departed"),
            ("arrive", "arrived"),
        ]
        view = transfers.transfer_view(ctx, transfer_id)
        assert view.transfer.arrived_at == START + timedelta(days=17)


def test_units_that_did_not_arrive_are_written_off_as_lost_in_transit(at, world, stocked):
    transfer_id = _plan(at, world, stocked)
    with at(world["logistics"]) as ctx:
        transfers.depart(ctx, transfer_id)
    with at(world["logistics"]) as ctx:
        transfers.arrive(ctx, transfer_id, [ArrivalCount(stocked.white, 57)])
    lax = _balance(at, stocked.white, "US-LAX")
    assert (lax.in_transit, lax.on_hand) == (0, 57)
    assert _balance(at, stocked.black, "US-LAX").on_hand == 20  # not counted: arrived in full
    with at(world["logistics"]) as ctx:
        assert stock.check(ctx.session) == []
        kinds = [
            (m.kind, m.quantity)
            for m in stock.movements(ctx, sku_id=stocked.white, warehouse_id="US-LAX").items
        ]
        assert kinds == [("write_off", 3), ("transfer_in", 60), ("in_transit", 60)]
        last = history_of(ctx.session, "transfer", transfer_id)[-1]
        assert last.details == {"lost_in_transit": {"MUG-350-WHT": 3}}
        line = next(
            line
            for line in transfers.lines_of(ctx.session, transfer_id)
            if line.sku_id == stocked.white
        )
        assert (line.quantity, line.received) == (60, 57)


def test_a_transfer_from_a_warehouse_without_the_stock_is_refused(at, world, stocked):
    with pytest.raises(ValidationFailed) as refused:
        _plan(at, world, stocked, white=101)
    [error] = refused.value.errors
    assert error.field == "lines[0].quantity"
    assert error.message == "only 100 of MUG-350-WHT available in CN-GZ, not 101"
    with pytest.raises(ValidationFailed) as refused:
        _plan(at, world, stocked, white=1, black=1, from_warehouse_id="CN-YW")
    assert [e.field for e in refused.value.errors] == ["lines[0].quantity", "lines[1].quantity"]
    assert "only 0 of" in refused.value.errors[0].message


def test_departure_refuses_when_the_stock_went_meanwhile(at, world, stocked):
    transfer_id = _plan(at, world, stocked, white=60)
    with at(world["logistics"]) as ctx:
        stock.write_off(
            ctx, sku_id=stocked.white, warehouse_id="CN-GZ", quantity=50, reason="water damage"
        )
    with pytest.raises(OutOfStock) as refused, at(world["logistics"]) as ctx:
        transfers.depart(ctx, transfer_id)
    assert "transfer out of 60 (available 50" in refused.value.detail
    with at(world["logistics"]) as ctx:
        assert transfers.visible_transfer(ctx, transfer_id).state == "planned"
        assert stock.check(ctx.session) == []
    assert _balance(at, stocked.white, "US-LAX").in_transit == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"to_warehouse_id": "CN-YW"}, "to_warehouse_id"),
        ({"from_warehouse_id": "US-LAX"}, "from_warehouse_id"),
        ({"mode": "rail"}, "mode"),  # no rail to the US
        ({"mode": "truck"}, "mode"),
        ({"cartons": 0}, "cartons"),
        ({"to_warehouse_id": "XX-NONE"}, "to_warehouse_id"),
    ],
)
def test_the_route_is_checked(at, world, stocked, changes, field):
    with pytest.raises(ValidationFailed) as refused:
        _plan(at, world, stocked, **changes)
    assert [e.field for e in refused.value.errors] == [field]


@pytest.mark.parametrize("quantity", [0, -1, 1_000_001, True])
def test_absurd_quantities_are_refused(at, world, stocked, quantity):
    with pytest.raises(ValidationFailed) as refused:
        _plan(at, world, stocked, white=quantity)
    assert [e.field for e in refused.value.errors] == ["lines[0].quantity"]


def test_arrival_counts_are_checked(at, world, stocked):
    transfer_id = _plan(at, world, stocked)
    with at(world["logistics"]) as ctx:
        transfers.depart(ctx, transfer_id)
    for counts, field in (
        ([ArrivalCount(stocked.white, 61)], "lines[0].received"),
        ([ArrivalCount("sku_elsewhere", 1)], "lines[0].sku_id"),
        ([ArrivalCount(stocked.white, -1)], "lines[0].received"),
    ):
        with pytest.raises(ValidationFailed) as refused, at(world["logistics"]) as ctx:
            transfers.arrive(ctx, transfer_id, counts)
        assert refused.value.errors[0].field == field
    assert _balance(at, stocked.white, "US-LAX").in_transit == 60


def test_cancel_only_before_departure(at, world, stocked):
    planned = _plan(at, world, stocked, white=10, black=10)
    with at(world["logistics"]) as ctx:
        assert transfers.cancel(ctx, planned, "consolidated with the next one").state == "cancelled"
    departed = _plan(at, world, stocked, white=10, black=10)
    with at(world["logistics"]) as ctx:
        transfers.depart(ctx, departed)
    with pytest.raises(InvalidTransition) as refused, at(world["logistics"]) as ctx:
        transfers.cancel(ctx, departed, "too late")
    assert refused.value.extra["current_state"] == "departed"
    with pytest.raises(InvalidTransition), at(world["logistics"]) as ctx:
        transfers.arrive(ctx, planned)


def test_only_logistics_moves_transfers_and_suppliers_see_none(at, world, stocked):
    transfer_id = _plan(at, world, stocked)
    with pytest.raises(Forbidden), at(world["merchandiser"]) as ctx:
        transfers.depart(ctx, transfer_id)
    with pytest.raises(Forbidden), at(world["supplier_a"]) as ctx:
        transfers.visible_transfer(ctx, transfer_id)


# --- the 9810 declaration -----------------------------------------------------------------------


def test_departure_raises_the_9810_declaration_from_the_catalog(at, world, stocked, unit):
    _classify(unit, world, stocked)
    transfer_id = _plan(at, world, stocked, white=60, black=20, mode="air")
    with at(world["logistics"]) as ctx:
        row = transfers.depart(ctx, transfer_id)
        assert row.declaration_problem == ""
    with at(world["customs"]) as ctx:
        view = customs.declaration_view(ctx, row.declaration_id)
    d = view.row
    assert (d.mode, d.state, d.kind) == ("9810", "draft", "consignment")
    assert (d.exporter_kind, d.exporter_credit_code) == ("platform", "91440101MA5CXH7T1L")
    assert (d.destination_country, d.transport_mode, d.port_of_exit) == ("US", "air", "5100")
    assert (d.overseas_warehouse_code, d.packages) == ("US-LAX", 4)
    assert [(line.hs_code, line.quantity, line.value_minor) for line in view.lines] == [
        ("691200", 60, 60 * 1250),
        ("691200", 20, 20 * 1320),
    ]
    assert d.total_value_minor == 60 * 1250 + 20 * 1320 and d.currency == "CNY"
    assert d.gross_weight_g == 80 * 380 + 4 * 800  # the mugs plus the cartons' tare
    assert view.transitions[0].actor_id == world["logistics"].user_id


def test_a_transfer_departs_without_its_declaration_when_the_catalog_lacks_hs_codes(
    at, world, stocked, unit
):
    transfer_id = _plan(at, world, stocked)
    with at(world["logistics"]) as ctx:
        row = transfers.depart(ctx, transfer_id)
    assert row.state == "departed" and row.declaration_id is None
    assert "2 of 2 SKU(s) have no confirmed HS code yet (MUG-350-WHT, MUG-350-BLK)" in (
        row.declaration_problem
    )
    with pytest.raises(Conflict) as refused, at(world["logistics"]) as ctx:
        transfers.declare(ctx, transfer_id)
    assert "cannot be raised yet" in refused.value.detail
    _classify(unit, world, stocked)
    with at(world["logistics"]) as ctx:
        assert "declare" in transfers.available_actions(
            ctx, transfers.visible_transfer(ctx, transfer_id)
        )
        row = transfers.declare(ctx, transfer_id)
    assert row.declaration_id is not None and row.declaration_problem == ""
    with pytest.raises(Conflict), at(world["logistics"]) as ctx:
        transfers.declare(ctx, transfer_id)  # once only


def test_a_declaration_customs_refuses_leaves_nothing_of_it_behind(at, world, stocked, unit):
    with unit(world["customs"]) as ctx:
        for sku in (stocked.white, stocked.black):
            catalog.set_hs_code(ctx, sku, "999999")  # six digits, but no HS subheading
    transfer_id = _plan(at, world, stocked)
    with at(world["logistics"]) as ctx:
        row = transfers.depart(ctx, transfer_id)
    assert row.state == "departed" and row.declaration_id is None
    assert row.declaration_problem.startswith("lines[0].hs_code:")
    with at(world["customs"]) as ctx:
        assert customs.list_declarations(ctx).total == 0
    assert _balance(at, stocked.white, "US-LAX").in_transit == 60
