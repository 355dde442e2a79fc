"""Export declarations through the service layer: each mode from draft to the authority's
answer, every move stored; SKUs lending their particulars; 9610 consolidation over a month's
cleared parcels; 1210 exits against their entry; bad input refused with nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from chuhai.catalog import service as catalog
from chuhai.core.auth import Actor
from chuhai.core.clock import FixedClock
from chuhai.core.context import Context
from chuhai.core.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from chuhai.customs import declaration_service as customs
from chuhai.customs import hs_service
from chuhai.customs.declarations import period_of
from chuhai.customs.tables import (
    DeclarationLineRow,
    DeclarationRow,
    DeclarationTransitionRow,
)

from declaration_examples import b2b_body, bonded_body, draft, parcel_body, warehouse_body
from helpers import draft as product_draft

MARCH = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


@contextmanager
def at(unit, actor: Actor, moment: datetime) -> Iterator[Context]:  # type: ignore[no-untyped-def]
    """A unit of work whose clock reads `moment`."""
    with unit.db.unit_of_work() as uow:
        yield Context(uow.session, actor, FixedClock(moment), unit.settings)
        uow.commit()


def count(unit, table) -> int:  # type: ignore[no-untyped-def]
    with unit() as ctx:
        return int(ctx.session.scalar(select(func.count()).select_from(table)))


@pytest.fixture
def mug_sku(unit, world) -> str:  # type: ignore[no-untyped-def]
    """Supplier A's white mug SKU (supply price 12.50 CNY, 380 g), classified 6912.00."""
    with unit(world["supplier_a"]) as ctx:
        product = catalog.create_product(ctx, product_draft("MUG-350"))
        sku_id = {s.sku_code: s.id for s in catalog.skus_of(ctx.session, product.id)}["MUG-350-WHT"]
    with unit(world["customs"]) as ctx:
        hs_service.confirm_hs_code(ctx, sku_id, "6912.00", "stoneware mug")
    return sku_id


def create(unit, world, body: dict, moment: datetime = MARCH) -> str:  # type: ignore[no-untyped-def]
    with at(unit, world["customs"], moment) as ctx:
        return customs.create_declaration(ctx, draft(body)).id


def submit(unit, world, declaration_id: str, moment: datetime = MARCH) -> DeclarationRow:  # type: ignore[no-untyped-def]
    with at(unit, world["customs"], moment) as ctx:
        return customs.submit(ctx, declaration_id)


def history(unit, declaration_id: str) -> list[tuple[str, str, str, str]]:  # type: ignore[no-untyped-def]
    with unit() as ctx:
        return [
            (t.action, t.from_state, t.to_state, t.actor_name)
            for t in customs.transitions_of(ctx, declaration_id)
        ]


# --- 9610 parcels -------------------------------------------------------------------------------


def test_a_9610_parcel_is_filed_and_cleared_with_every_move_and_the_answer_stored(unit, world):
    declaration_id = create(unit, world, parcel_body())
    row = submit(unit, world, declaration_id)
    assert (row.state, row.kind, row.total_value_minor, row.order_no) == (
        "cleared",
        "parcel",
        3448,
        "SO-1001",
    )
    assert row.number.startswith("9610-20260310-")
    assert row.authority_reference is not None and row.authority_reference.startswith("514120260")
    assert (row.cleared_at, row.period) == (MARCH, "2026-03")
    assert history(unit, declaration_id) == [
        ("create", "", "draft", "Customs"),
        ("submit", "draft", "submitted", "Customs"),
        ("clear", "submitted", "cleared", "Customs authority (sandbox)"),
    ]
    with unit() as ctx:
        (answer,) = customs.responses_of(ctx, declaration_id)
        view = customs.declaration_view(ctx, declaration_id)
    assert (answer.attempt, answer.outcome, answer.reference, answer.reasons) == (
        1,
        "cleared",
        row.authority_reference,
        [],
    )
    assert view.matching is not None and all(check["ok"] for check in view.matching)
    assert view.actions == []


def test_a_three_document_mismatch_is_refused_naming_the_fields_and_nothing_is_written(unit, world):
    body = parcel_body()
    body["payment"].update(amount="30.00", payer_name="E. Carter")
    body["logistics"]["consignee_name"] = "John Smith"
    with pytest.raises(ValidationFailed) as caught, at(unit, world["customs"], MARCH) as ctx:
        customs.create_declaration(ctx, draft(body))
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("payment.amount", "paid 30.00 USD, the order total is 34.48 USD"),
        ("payment.payer_name", "the payer 'E. Carter' is not the buyer 'Emily Carter'"),
        ("logistics.consignee_name", "the consignee 'John Smith' is not the buyer 'Emily Carter'"),
    ]
    assert count(unit, DeclarationRow) == count(unit, DeclarationLineRow) == 0


def _with_line(body: dict, index: int, **changes) -> dict:  # type: ignore[no-untyped-def]
    body["lines"][index].update(changes)
    return body


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        pytest.param(
            _with_line(warehouse_body(), 0, hs_code="999999"),
            "lines[0].hs_code",
            "999999 does not exist: 999999 is not an HS 2022 subheading",
            id="HS code that does not exist",
        ),
        pytest.param(
            warehouse_body(total_value="3300.00"),
            "total_value",
            "the declaration states 3300.00 EUR but its lines add up to 3200.00 EUR",
            id="lines that do not add up",
        ),
        pytest.param(
            _with_line(warehouse_body(), 0, value="3100.00"),
            "lines[0].value",
            "line 1: 1000 × 3.20 EUR is 3200.00 EUR, not 3100.00 EUR",
            id="a line that does not add up",
        ),
        pytest.param(
            warehouse_body(mode="9910"),
            "mode",
            "unknown customs mode '9910'; one of 9610, 9710, 9810, 1210",
            id="unknown mode",
        ),
        pytest.param(
            _with_line(warehouse_body(), 0, quantity=0),
            "lines[0].quantity",
            "must be greater than zero, got 0",
            id="zero quantity",
        ),
        pytest.param(
            _with_line(warehouse_body(), 0, quantity=-5),
            "lines[0].quantity",
            "must be greater than zero, got -5",
            id="negative quantity",
        ),
        pytest.param(
            _with_line(warehouse_body(), 0, currency="USD"),
            "lines[0].currency",
            "line 1 is in USD; every line must be in the declaration's currency, EUR",
            id="a line in another currency",
        ),
        pytest.param(
            warehouse_body(exporter=None),
            "exporter",
            "name the exporter of record: a supplier, or the platform's export entity",
            id="no exporter",
        ),
        pytest.param(
            warehouse_body(exporter={"kind": "supplier", "customs_code": "3318960001"}),
            "exporter.supplier_id",
            "say which supplier exports",
            id="supplier exporter without a supplier",
        ),
        pytest.param(
            warehouse_body(
                exporter={
                    "kind": "supplier",
                    "supplier_id": "sup_nope",
                    "customs_code": "3318960001",
                }
            ),
            "exporter.supplier_id",
            "no supplier 'sup_nope'",
            id="unknown supplier",
        ),
        pytest.param(
            _with_line(warehouse_body(), 0, sku_id="sku_nope"),
            "lines[0].sku_id",
            "no SKU 'sku_nope'",
            id="unknown SKU",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_field_with_nothing_written(
    unit, world, body, field, message
):
    with pytest.raises(ValidationFailed) as caught, at(unit, world["customs"], MARCH) as ctx:
        customs.create_declaration(ctx, draft(body))
    assert (field, message) in [(e.field, e.message) for e in caught.value.errors]
    assert count(unit, DeclarationRow) == count(unit, DeclarationTransitionRow) == 0


def test_an_order_is_declared_in_one_parcel_only(unit, world):
    first = create(unit, world, parcel_body())
    with pytest.raises(Conflict) as caught, at(unit, world["customs"], MARCH) as ctx:
        customs.create_declaration(ctx, draft(parcel_body()))
    assert caught.value.field == "order.order_no"
    with unit() as ctx:
        number = customs.visible_declaration(ctx, first).number
    assert caught.value.detail == f"order SO-1001 is already declared in {number} (draft)"


# --- SKUs, suppliers as exporters, rebates ------------------------------------------------------


def test_a_sku_line_takes_the_skus_particulars_and_its_supply_price_makes_the_rebate(
    unit, world, mug_sku
):
    declaration_id = create(unit, world, b2b_body(mug_sku, world.supplier_a))
    with unit() as ctx:
        view = customs.declaration_view(ctx, declaration_id)
    (line,) = view.lines
    assert (line.hs_code, line.quantity, line.value_minor, line.net_weight_g) == (
        "691200",
        500,
        105_000,
        190_000,
    )
    assert (line.description, line.description_zh, line.origin_country) == (
        "350 ml ceramic mug (colour: white)",
        "350毫升陶瓷马克杯",
        "CN",
    )
    assert line.purchase_value_cny_minor == 625_000  # 500 × 12.50 CNY
    row = view.row
    assert (row.exporter_kind, row.exporter_supplier_id, row.exporter_name_en) == (
        "supplier",
        world.supplier_a,
        "Yiwu Test 1 Co., Ltd.",
    )
    assert (view.rebate.total_cny_minor, view.rebate.eligible) == (71_903, True)  # 719.03 CNY


def test_a_sku_without_a_confirmed_hs_code_is_refused_naming_the_line(unit, world, mug_sku):
    with unit() as ctx:
        product_id = catalog.visible_sku(ctx, mug_sku).product_id
        (unclassified,) = [s.id for s in catalog.skus_of(ctx.session, product_id) if not s.hs_code]
    with pytest.raises(ValidationFailed) as caught, at(unit, world["customs"], MARCH) as ctx:
        customs.create_declaration(ctx, draft(b2b_body(unclassified, world.supplier_a)))
    assert [(e.field, e.message) for e in caught.value.errors] == [
        (
            "lines[0].hs_code",
            "SKU MUG-350-BLK has no confirmed HS code yet: classify it, or give the line's hs_code",
        )
    ]


def test_a_supplier_not_verified_cannot_be_the_exporter(unit, world, mug_sku):
    from chuhai.parties import service as parties

    from conftest import supplier_profile

    with unit(world["merchandiser"]) as ctx:
        pending = parties.onboard_supplier(ctx, supplier_profile("SUP-C", 3)).id
    with pytest.raises(ValidationFailed) as caught, at(unit, world["customs"], MARCH) as ctx:
        customs.create_declaration(ctx, draft(b2b_body(mug_sku, pending)))
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("exporter.supplier_id", "supplier SUP-C is pending, not verified by the platform")
    ]


def test_the_rebate_of_a_sku_and_of_a_new_rate(unit, world, mug_sku):
    with unit(world["customs"]) as ctx:
        estimate = customs.sku_rebate(ctx, mug_sku, 500, date(2026, 3, 3))
        assert (estimate.rate.id if estimate.rate else None, estimate.rebate_cny_minor) == (
            "CN-REBATE-69-2019",
            71_903,
        )
        customs.add_rebate_rate(
            ctx,
            hs_prefix="691200",
            rate="0.09",
            effective_from=date(2026, 7, 1),
            effective_to=None,
            description="Ceramic household articles (operator's entry)",
            source="STA rate library lookup, 2026-06-20",
        )
        later = customs.sku_rebate(ctx, mug_sku, 500, date(2026, 7, 1))
    assert later.rebate_cny_minor == 49_779  # 6,250.00 ÷ 1.13 × 9% = 497.787… → 497.79


def test_a_rebate_rate_may_not_overlap_another_for_its_prefix_nor_be_a_percentage(unit, world):
    values = dict(
        hs_prefix="8507",
        effective_from=date(2026, 4, 1),
        effective_to=None,
        description="Batteries",
        source="an announcement",
    )
    with pytest.raises(Conflict) as clash, unit(world["customs"]) as ctx:
        customs.add_rebate_rate(ctx, rate="0.06", **values)
    assert clash.value.field == "effective_from"
    with pytest.raises(ValidationFailed) as bad, unit(world["customs"]) as ctx:
        customs.add_rebate_rate(ctx, rate="13%", **values)
    assert bad.value.errors[0].field == "rate"


# --- holds, rejections and corrections ----------------------------------------------------------


def test_a_held_consignment_is_resubmitted_with_the_answer_and_cleared(unit, world, mug_sku):
    declaration_id = create(
        unit, world, b2b_body(mug_sku, world.supplier_a, quantity=3000, gross_weight_g=1_200_000)
    )
    held = submit(unit, world, declaration_id)
    assert held.state == "held"
    with pytest.raises(ValidationFailed) as caught, unit(world["customs"]) as ctx:
        customs.resubmit(ctx, declaration_id, "  ")
    assert caught.value.errors[0].field == "response"
    with unit(world["customs"]) as ctx:
        row = customs.resubmit(ctx, declaration_id, "inspected 2026-03-11: goods as declared")
        responses = [(r.attempt, r.outcome) for r in customs.responses_of(ctx, declaration_id)]
    assert row.state == "cleared"
    assert responses == [(1, "held"), (2, "cleared")]
    moves = history(unit, declaration_id)
    assert [m[:3] for m in moves] == [
        ("create", "", "draft"),
        ("submit", "draft", "submitted"),
        ("hold", "submitted", "held"),
        ("resubmit", "held", "submitted"),
        ("clear", "submitted", "cleared"),
    ]


def test_a_rejected_declaration_is_revised_corrected_and_cleared(unit, world):
    body = warehouse_body()
    body["lines"][0].update(hs_code="930320", description="Hunting shotgun")
    declaration_id = create(unit, world, body)
    rejected = submit(unit, world, declaration_id)
    assert rejected.state == "rejected"
    with unit() as ctx:
        (answer,) = customs.responses_of(ctx, declaration_id)
    assert [(r["field"], r["code"]) for r in answer.reasons] == [("lines[0].hs_code", "refused")]
    with unit(world["customs"]) as ctx:
        customs.revise(ctx, declaration_id, "wrong goods: the consignment is tote bags")
        customs.update_declaration(ctx, declaration_id, draft(warehouse_body()))
        row = customs.submit(ctx, declaration_id)
    assert row.state == "cleared"
    assert [m[:3] for m in history(unit, declaration_id)][2:] == [
        ("reject", "submitted", "rejected"),
        ("revise", "rejected", "draft"),
        ("edit", "draft", "draft"),
        ("submit", "draft", "submitted"),
        ("clear", "submitted", "cleared"),
    ]


@pytest.mark.parametrize(
    ("move", "action"),
    [
        pytest.param(lambda ctx, i: customs.submit(ctx, i), "submit", id="submit"),
        pytest.param(lambda ctx, i: customs.cancel(ctx, i, "late"), "cancel", id="cancel"),
        pytest.param(lambda ctx, i: customs.revise(ctx, i), "revise", id="revise"),
        pytest.param(
            lambda ctx, i: customs.update_declaration(ctx, i, draft(warehouse_body())),
            "edit",
            id="edit",
        ),
    ],
)
def test_a_cleared_declaration_cannot_move_and_the_409_names_its_state(unit, world, move, action):
    declaration_id = create(unit, world, warehouse_body())
    submit(unit, world, declaration_id)
    with pytest.raises(InvalidTransition) as caught, unit(world["customs"]) as ctx:
        move(ctx, declaration_id)
    assert (caught.value.status, caught.value.extra["current_state"]) == (409, "cleared")
    assert caught.value.detail == f"cannot {action} a declaration that is cleared"


def test_operators_read_declarations_and_only_customs_staff_make_them(unit, world):
    with pytest.raises(Forbidden), unit(world["merchandiser"]) as ctx:
        customs.create_declaration(ctx, draft(warehouse_body()))
    declaration_id = create(unit, world, warehouse_body())
    with unit(world["finance"]) as ctx:
        assert customs.list_declarations(ctx).total == 1
        with pytest.raises(Forbidden):
            customs.submit(ctx, declaration_id)
    with pytest.raises(Forbidden), unit(world["supplier_a"]) as ctx:
        customs.list_declarations(ctx)


# --- 9610 consolidation -------------------------------------------------------------------------


def _cleared_parcel(unit, world, order_no: str, moment: datetime) -> str:  # type: ignore[no-untyped-def]
    declaration_id = create(unit, world, parcel_body(order_no), moment)
    assert submit(unit, world, declaration_id, moment).state == "cleared"
    return declaration_id


def test_a_months_cleared_parcels_are_consolidated_into_one_declaration(unit, world):
    first = _cleared_parcel(unit, world, "SO-1001", datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    second = _cleared_parcel(unit, world, "SO-1002", datetime(2026, 3, 31, 15, 0, tzinfo=UTC))
    april = _cleared_parcel(unit, world, "SO-1003", datetime(2026, 3, 31, 20, 0, tzinfo=UTC))
    with unit() as ctx:
        assert customs.visible_declaration(ctx, april).period == "2026-04"  # 04:00 in Beijing

    with (
        pytest.raises(ValidationFailed) as caught,
        at(unit, world["customs"], datetime(2026, 4, 2, tzinfo=UTC)) as ctx,
    ):
        customs.consolidate(ctx, period="2026-03", parcel_ids=[first, second, april])
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("parcels[2]", f"parcel {_number(unit, april)} was cleared in 2026-04, not in 2026-03")
    ]

    with at(unit, world["customs"], datetime(2026, 4, 2, tzinfo=UTC)) as ctx:
        consolidated = customs.consolidate(ctx, period="2026-03", parcel_ids=[first, second]).id
    with unit() as ctx:
        view = customs.declaration_view(ctx, consolidated)
    assert (view.row.kind, view.row.period, view.row.total_value_minor) == (
        "consolidated",
        "2026-03",
        6896,
    )
    assert [
        (x.hs_code, x.quantity, x.value_minor, x.purchase_value_cny_minor) for x in view.lines
    ] == [
        ("691200", 4, 5196, 5000),
        ("420222", 2, 1700, 2260),
    ]
    assert [p.id for p in view.parcels] == sorted([first, second], key=lambda i: _number(unit, i))
    assert (view.rebate.eligible, view.rebate.total_cny_minor) == (True, 575 + 260)

    with pytest.raises(ValidationFailed) as again, unit(world["customs"]) as ctx:
        customs.consolidate(ctx, period="2026-03", parcel_ids=[first])
    assert again.value.errors[0].message.endswith(f"is already consolidated in {view.row.number}")

    assert submit(unit, world, consolidated, datetime(2026, 4, 3, tzinfo=UTC)).state == "cleared"


def _number(unit, declaration_id: str) -> str:  # type: ignore[no-untyped-def]
    with unit() as ctx:
        return customs.visible_declaration(ctx, declaration_id).number


def test_a_parcel_not_cleared_cannot_be_consolidated_and_cancelling_frees_the_parcels(unit, world):
    cleared = _cleared_parcel(unit, world, "SO-2001", MARCH)
    draft_parcel = create(unit, world, parcel_body("SO-2002"))
    with pytest.raises(ValidationFailed) as caught, unit(world["customs"]) as ctx:
        customs.consolidate(ctx, period="2026-03", parcel_ids=[cleared, draft_parcel])
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("parcels[1]", f"parcel {_number(unit, draft_parcel)} is draft, not cleared")
    ]
    with unit(world["customs"]) as ctx:
        consolidated = customs.consolidate(ctx, period="2026-03", parcel_ids=[cleared]).id
        assert customs.eligible_parcels(ctx, "2026-03") == []
        customs.cancel(ctx, consolidated, "wrong port of exit")
        assert [p.id for p in customs.eligible_parcels(ctx, "2026-03")] == [cleared]


# --- 1210 bonded --------------------------------------------------------------------------------


def test_goods_leave_a_bonded_warehouse_only_as_far_as_they_entered(unit, world, mug_sku):
    entry = create(unit, world, bonded_body(mug_sku, 400))
    entry_number = _number(unit, entry)

    def exit_body(quantity: int, **bonded) -> dict:  # type: ignore[no-untyped-def]
        return bonded_body(
            mug_sku,
            quantity,
            destination_country="US",
            transport_mode="air",
            gross_weight_g=200_000,
            bonded={
                "warehouse_code": "SZQH-B01",
                "direction": "exit",
                "entry_number": entry_number,
                **bonded,
            },
        )

    with pytest.raises(ValidationFailed) as early, at(unit, world["customs"], MARCH) as ctx:
        customs.create_declaration(ctx, draft(exit_body(150)))
    assert [(e.field, e.message) for e in early.value.errors] == [
        ("bonded.entry_number", f"entry {entry_number} is draft, not cleared")
    ]

    assert submit(unit, world, entry).state == "cleared"
    first_exit = create(unit, world, exit_body(150))
    with unit() as ctx:
        exit_view = customs.declaration_view(ctx, first_exit)
        entry_view = customs.declaration_view(ctx, entry)
    assert exit_view.bonded_entry is not None and exit_view.bonded_entry.id == entry
    assert (entry_view.rebate.eligible, exit_view.rebate.eligible) == (True, False)

    with pytest.raises(ValidationFailed) as too_many, at(unit, world["customs"], MARCH) as ctx:
        customs.create_declaration(ctx, draft(exit_body(300)))
    assert [(e.field, e.message) for e in too_many.value.errors] == [
        (
            "lines[0].quantity",
            f"only 250 of SKU {mug_sku} remain in bonded entry {entry_number}; this exit takes 300",
        )
    ]
    with pytest.raises(ValidationFailed) as elsewhere, at(unit, world["customs"], MARCH) as ctx:
        customs.create_declaration(ctx, draft(exit_body(10, warehouse_code="SZQH-B02")))
    assert [e.field for e in elsewhere.value.errors] == ["bonded.entry_number"]


# --- documents ----------------------------------------------------------------------------------


def test_the_documents_of_a_declaration(unit, world):
    declaration_id = create(unit, world, parcel_body())
    submit(unit, world, declaration_id)
    with unit() as ctx:
        row = customs.visible_declaration(ctx, declaration_id)
        invoice = customs.document_json(ctx, declaration_id, "commercial-invoice")
        name, pdf = customs.document_pdf(ctx, declaration_id, "packing-list")
    assert (invoice["invoice_no"], invoice["total"], invoice["customs_reference"]) == (
        f"CI-{row.number}",
        "34.48",
        row.authority_reference,
    )
    assert invoice["issued_on"] == "2026-03-10"
    assert name == f"PL-{row.number}.pdf"
    assert pdf.startswith(b"%PDF-") and f"PL-{row.number}".encode() in pdf
    assert period_of(MARCH) == "2026-03"
