"""Export declarations without a database: the rules of each mode, three-document matching,
9610 consolidation, the state machine, the sandbox authority, rebate arithmetic and the
documents. Every number here can be checked by hand (see declaration_examples)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from chuhai.core.errors import InvalidTransition
from chuhai.customs import documents, rebates
from chuhai.customs.authority import SandboxCustoms, Submission, customs_reference
from chuhai.customs.declarations import (
    DECLARATION,
    Declaration,
    Exporter,
    GoodsLine,
    Kind,
    ParcelRecord,
    consolidated_lines,
    declaration_errors,
    match_three_documents,
    matching_report,
    parcel_errors,
    parse_declaration,
    period_of,
)
from chuhai.customs.hs import load_nomenclature

from declaration_examples import (
    PLATFORM,
    PLATFORM_CREDIT_CODE,
    bonded_body,
    draft,
    parcel_body,
    warehouse_body,
)

NOW = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
EXPORTER = Exporter(
    kind="platform",
    name=PLATFORM["name"],
    name_en=PLATFORM["name_en"],
    credit_code=PLATFORM_CREDIT_CODE,
    customs_code="4403960ABC",
    address=PLATFORM["address"],
)


def hs_known(code: str) -> bool:
    return load_nomenclature().is_subheading(code)


def parsed(body: dict, number: str = "9610-20260303-AAAAAA", exporter=EXPORTER):  # type: ignore[no-untyped-def]
    declaration, errors = parse_declaration(draft(body), number, exporter)
    return declaration, errors


def problems(body: dict, exporter=EXPORTER) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    declaration, errors = parsed(body, exporter=exporter)
    found = errors + declaration_errors(declaration, hs_known)
    return [(e.field, e.message) for e in found]


# --- a parcel whose documents agree -------------------------------------------------------------


def test_a_9610_parcel_whose_three_documents_agree_breaks_no_rule():
    declaration, errors = parsed(parcel_body())
    assert errors == []
    assert declaration_errors(declaration, hs_known) == []
    assert (declaration.kind, declaration.total_value_minor, declaration.lines_total_minor) == (
        Kind.PARCEL,
        3448,
        3448,
    )
    assert [
        (line.quantity, line.unit_price_minor, line.value_minor) for line in declaration.lines
    ] == [
        (2, 1299, 2598),
        (1, 850, 850),
    ]
    assert (declaration.net_weight_g, declaration.gross_weight_g) == (960, 1250)
    assert all(check["ok"] for check in matching_report(declaration))


def test_id_numbers_are_kept_only_as_hashes():
    declaration, _ = parsed(parcel_body())
    docs = declaration.documents
    assert docs is not None
    expected = hashlib.sha256(b"123-45-6789").hexdigest()
    assert docs.order.buyer_id_hash == docs.payment.payer_id_hash == expected
    assert "123-45-6789" not in repr(docs)


# --- three-document mismatches ------------------------------------------------------------------


def test_a_three_document_mismatch_names_each_field_that_differs():
    body = parcel_body()
    body["payment"].update(amount="30.00", payer_name="E. Carter")
    body["logistics"].update(consignee_name="John Smith", order_no="SO-9999")
    declaration, errors = parsed(body)
    assert errors == []
    assert [(m.field, m.message) for m in match_three_documents(declaration)] == [
        ("logistics.order_no", "the waybill is for order 'SO-9999', not 'SO-1001'"),
        ("payment.amount", "paid 30.00 USD, the order total is 34.48 USD"),
        ("payment.payer_name", "the payer 'E. Carter' is not the buyer 'Emily Carter'"),
        ("logistics.consignee_name", "the consignee 'John Smith' is not the buyer 'Emily Carter'"),
    ]
    report = {c["check"]: c["ok"] for c in matching_report(declaration)}
    assert [check for check, ok in report.items() if not ok] == [
        "logistics.order_no",
        "payment.amount",
        "payment.payer_name",
        "logistics.consignee_name",
    ]


def test_names_match_whatever_their_case_and_spacing():
    body = parcel_body()
    body["payment"]["payer_name"] = "  emily   CARTER "
    declaration, _ = parsed(body)
    assert match_three_documents(declaration) == []


def test_ordered_goods_that_differ_from_the_declared_goods_are_named_by_line():
    body = parcel_body()
    body["order"]["lines"][0]["quantity"] = 3
    body["order"]["lines"][1]["unit_price"] = "9.50"
    declaration, _ = parsed(body)
    assert [(m.field, m.message) for m in match_three_documents(declaration)] == [
        ("order.total", "the order's lines add up to 48.47 USD, its total says 34.48 USD"),
        ("order.lines[0].quantity", "ordered 3, declared 2"),
        ("order.lines[1].unit_price", "ordered at 9.50 USD, declared at 8.50 USD"),
    ]


def test_a_payer_with_another_id_number_is_a_mismatch():
    body = parcel_body()
    body["payment"]["payer_id_number"] = "987-65-4321"
    declaration, _ = parsed(body)
    assert [m.field for m in match_three_documents(declaration)] == ["payment.payer_id_number"]


def test_a_waybill_to_another_country_than_the_declaration_is_a_mismatch():
    body = parcel_body()
    body["logistics"]["country"] = "CA"
    assert ("logistics.country", "the waybill goes to CA, the declaration to US") in problems(body)


# --- values that must add up --------------------------------------------------------------------


def test_a_line_whose_stated_value_is_not_quantity_times_price_is_refused_naming_the_line():
    body = parcel_body()
    body["lines"][0]["value"] = "26.00"
    assert ("lines[0].value", "line 1: 2 × 12.99 USD is 25.98 USD, not 26.00 USD") in problems(body)


def test_a_stated_total_that_is_not_the_sum_of_the_lines_is_refused():
    assert problems(warehouse_body(total_value="3300.00")) == [
        ("total_value", "the declaration states 3300.00 EUR but its lines add up to 3200.00 EUR")
    ]


def test_goods_heavier_than_the_gross_weight_are_refused():
    assert problems(warehouse_body(gross_weight_g=150_000)) == [
        (
            "gross_weight_g",
            "the goods weigh 200000 g net, more than the 150000 g gross weight",
        )
    ]


# --- bad input, each named ----------------------------------------------------------------------


def _line(index: int, **changes) -> dict:  # type: ignore[no-untyped-def]
    body = parcel_body()
    body["lines"][index].update(changes)
    return body


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        pytest.param(
            parcel_body(mode="9999"),
            "mode",
            "unknown customs mode '9999'; one of 9610, 9710, 9810, 1210",
            id="unknown mode",
        ),
        pytest.param(
            _line(0, hs_code="999999"),
            "lines[0].hs_code",
            "999999 does not exist: 999999 is not an HS 2022 subheading",
            id="HS code that does not exist",
        ),
        pytest.param(
            _line(0, hs_code=""),
            "lines[0].hs_code",
            "is required: give the HS code, or a SKU whose HS code is confirmed",
            id="no HS code",
        ),
        pytest.param(
            _line(0, quantity=0),
            "lines[0].quantity",
            "must be greater than zero, got 0",
            id="zero quantity",
        ),
        pytest.param(
            _line(1, quantity=-2),
            "lines[1].quantity",
            "must be greater than zero, got -2",
            id="negative quantity",
        ),
        pytest.param(
            _line(1, currency="EUR"),
            "lines[1].currency",
            "line 2 is in EUR; every line must be in the declaration's currency, USD",
            id="line in another currency",
        ),
        pytest.param(
            _line(0, unit_price="12.999"),
            "lines[0].unit_price",
            "USD allows at most 2 decimal places, got 12.999",
            id="price finer than the currency",
        ),
        pytest.param(
            _line(0, unit_price="0"),
            "lines[0].unit_price",
            "must be greater than zero",
            id="free goods",
        ),
        pytest.param(
            _line(0, unit_price="1e30"),
            "lines[0].unit_price",
            "is implausibly large",
            id="a price past any real one",
        ),
        pytest.param(_line(0, unit="BOX"), "lines[0].unit", None, id="unknown unit"),
        pytest.param(
            parcel_body(transport_mode="teleport"),
            "transport_mode",
            "one of sea, rail, road, air, post, other, got 'teleport'",
            id="unknown transport",
        ),
        pytest.param(
            parcel_body(port_of_exit="SZX"),
            "port_of_exit",
            "the customs district of exit (关区代码) is 4 digits",
            id="port not a district code",
        ),
        pytest.param(
            parcel_body(destination_country="CN"),
            "destination_country",
            "an export goes to a country other than CN",
            id="export to China",
        ),
        pytest.param(
            parcel_body(currency="XYZ"),
            "currency",
            "unknown ISO 4217 currency code 'XYZ'",
            id="unknown currency",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_field(body, field, message):
    found = problems(body)
    assert field in [f for f, _ in found], found
    if message is not None:
        assert (field, message) in found


def test_a_declaration_without_an_exporter_is_refused():
    assert (
        "exporter",
        "name the exporter of record: a supplier, or the platform's export entity",
    ) in problems(parcel_body(), exporter=None)


def test_an_exporter_with_a_bad_credit_code_or_customs_code_is_refused():
    bad = replace(EXPORTER, credit_code="91440300MA5G8QWX3A", customs_code="4403")
    found = problems(parcel_body(), exporter=bad)
    assert (
        "exporter.credit_code",
        "'91440300MA5G8QWX3A' is not a valid unified social credit code",
    ) in found
    assert (
        "exporter.customs_code",
        "the customs registration code is 10 capital letters or digits",
    ) in found


def test_a_parcel_without_its_payment_record_is_refused():
    body = parcel_body()
    del body["payment"]
    assert ("payment", "a 9610 parcel declaration needs the payment record") in problems(body)


# --- particulars of each mode -------------------------------------------------------------------


def test_a_9810_export_goes_to_its_warehouse_country():
    assert problems(warehouse_body()) == []
    assert problems(warehouse_body(destination_country="FR")) == [
        ("destination_country", "the goods go to warehouse DE-FRA-01 in DE, not to FR")
    ]
    body = warehouse_body()
    del body["overseas_warehouse"]
    assert problems(body) == [("overseas_warehouse", "a 9810 export names the overseas warehouse")]


def test_a_9710_export_names_its_buyer_and_contract():
    body = warehouse_body(mode="9710", overseas_warehouse=None)
    assert problems(body) == [("buyer", "a 9710 export names the overseas business buyer")]
    body["buyer"] = {"name": "Haus & Co GmbH", "country": "DE", "contract_no": ""}
    assert problems(body) == [
        ("buyer.contract_no", "the contract or order number (1-64 characters)")
    ]


def _bonded(**bonded) -> dict:  # type: ignore[no-untyped-def]
    body = bonded_body("sku_x")
    body["lines"] = [
        {
            "hs_code": "691200",
            "description": "Mug",
            "quantity": 400,
            "unit_price": "2.10",
            "currency": "USD",
            "origin_country": "CN",
            "net_weight_g": 152_000,
        }
    ]
    body["bonded"] = {"warehouse_code": "SZQH-B01", "direction": "entry", **bonded}
    return body


def test_a_1210_declaration_names_its_bonded_warehouse_and_direction():
    assert problems(_bonded()) == []
    assert problems(_bonded(warehouse_code="")) == [
        ("bonded.warehouse_code", "a 1210 declaration names the bonded warehouse")
    ]
    assert problems(_bonded(direction="sideways")) == [
        ("bonded.direction", "one of entry, exit, got 'sideways'")
    ]


def test_goods_entering_a_bonded_warehouse_stay_in_china_and_leave_it_against_their_entry():
    body = _bonded()
    body["destination_country"] = "US"
    assert problems(body) == [
        (
            "destination_country",
            "goods entering a bonded warehouse stay in China: the destination is CN",
        )
    ]
    leaving = _bonded(direction="exit")
    leaving["destination_country"] = "US"
    assert problems(leaving) == [
        (
            "bonded.entry_number",
            "goods leave a bonded warehouse against the cleared entry they came in under",
        )
    ]


def test_particulars_of_another_mode_are_refused():
    body = warehouse_body(buyer={"name": "X", "country": "DE", "contract_no": "C1"})
    assert ("buyer", "only a 9710 declaration has buyer particulars") in problems(body)


# --- 9610 consolidation -------------------------------------------------------------------------


def _parcel(number: str, *lines: tuple[str, int, int], **changes) -> ParcelRecord:  # type: ignore[no-untyped-def]
    goods = tuple(
        GoodsLine(
            line_no=i + 1,
            description=desc,
            hs_code="691200" if "mug" in desc else "420222",
            quantity=qty,
            unit="PCS",
            unit_price_minor=price,
            value_minor=qty * price,
            currency="USD",
            origin_country="CN",
            net_weight_g=380 * qty,
            purchase_value_cny_minor=1250 * qty,
        )
        for i, (desc, qty, price) in enumerate(lines)
    )
    values = dict(
        number=number,
        state="cleared",
        period="2026-03",
        exporter_credit_code=PLATFORM_CREDIT_CODE,
        destination_country="US",
        transport_mode="air",
        currency="USD",
        lines=goods,
    )
    values.update(changes)
    return ParcelRecord(**values)  # type: ignore[arg-type]


def test_consolidation_sums_lines_alike_in_all_but_quantity():
    parcels = [
        _parcel("P1", ("mug", 2, 1299), ("tote", 1, 850)),
        _parcel("P2", ("mug", 1, 1299)),
        _parcel("P3", ("mug", 4, 1199)),
    ]
    lines = consolidated_lines(parcels)
    assert [
        (line.line_no, line.description, line.quantity, line.unit_price_minor, line.value_minor)
        for line in lines
    ] == [
        (1, "mug", 3, 1299, 3897),
        (2, "tote", 1, 850, 850),
        (3, "mug", 4, 1199, 4796),
    ]
    assert [(line.net_weight_g, line.purchase_value_cny_minor) for line in lines] == [
        (1140, 3750),
        (380, 1250),
        (1520, 5000),
    ]
    assert parcel_errors("2026-03", parcels) == []


def test_consolidation_refuses_parcels_not_cleared_from_another_period_or_already_consolidated():
    parcels = [
        _parcel("P1", ("mug", 1, 1299)),
        _parcel("P2", ("mug", 1, 1299), state="held"),
        _parcel("P3", ("mug", 1, 1299), period="2026-02"),
        _parcel("P4", ("mug", 1, 1299), consolidated_into="9610-20260401-XXXXXX"),
        _parcel("P5", ("mug", 1, 1299), destination_country="CA"),
    ]
    assert [(e.field, e.message) for e in parcel_errors("2026-03", parcels)] == [
        ("parcels[1]", "parcel P2 is held, not cleared"),
        ("parcels[2]", "parcel P3 was cleared in 2026-02, not in 2026-03"),
        ("parcels[3]", "parcel P4 is already consolidated in 9610-20260401-XXXXXX"),
        ("parcels[4]", "parcel P5 has another destination (CA) than parcel P1 (US)"),
    ]


def test_a_consolidated_declaration_whose_lines_do_not_add_up_to_its_parcels_is_refused():
    parcels = (_parcel("P1", ("mug", 2, 1299)), _parcel("P2", ("mug", 1, 1299)))
    lines = consolidated_lines(parcels)
    declaration = Declaration(
        number="9610-20260401-CONSOL",
        mode="9610",
        kind=Kind.CONSOLIDATED,
        exporter=EXPORTER,
        currency="USD",
        destination_country="US",
        transport_mode="air",
        port_of_exit="5141",
        gross_weight_g=2000,
        packages=2,
        lines=lines,
        total_value_minor=3897,
        period="2026-03",
        parcels=parcels,
    )
    assert declaration_errors(declaration, hs_known) == []
    short = replace(lines[0], quantity=2, value_minor=2598)
    padded = replace(declaration, lines=(short,), total_value_minor=2598)
    assert [(e.field, e.message) for e in declaration_errors(padded, hs_known)] == [
        (
            "lines",
            "the consolidated lines do not add up to the parcels' goods (38.97 USD in 2 parcel(s))",
        )
    ]


@pytest.mark.parametrize(
    ("moment", "period"),
    [
        pytest.param(datetime(2026, 3, 31, 15, 59, tzinfo=UTC), "2026-03", id="23:59 in Beijing"),
        pytest.param(datetime(2026, 3, 31, 16, 0, tzinfo=UTC), "2026-04", id="midnight in Beijing"),
    ],
)
def test_customs_periods_are_months_in_china_time(moment, period):
    assert period_of(moment) == period


# --- the state machine --------------------------------------------------------------------------


def test_the_declaration_state_machine():
    table = {(t.action, tuple(sorted(t.sources)), t.target) for t in DECLARATION.transitions}
    assert table == {
        ("submit", ("draft",), "submitted"),
        ("resubmit", ("held",), "submitted"),
        ("clear", ("submitted",), "cleared"),
        ("hold", ("submitted",), "held"),
        ("reject", ("submitted",), "rejected"),
        ("revise", ("rejected",), "draft"),
        ("cancel", ("draft", "held", "rejected"), "cancelled"),
    }


@pytest.mark.parametrize(
    ("state", "action"),
    [("cleared", "submit"), ("cleared", "cancel"), ("draft", "resubmit"), ("held", "revise")],
)
def test_an_illegal_move_names_the_current_state(state, action):
    with pytest.raises(InvalidTransition) as caught:
        DECLARATION.transition(state, action)
    assert caught.value.status == 409
    assert caught.value.extra["current_state"] == state
    assert caught.value.detail == f"cannot {action} a declaration that is {state}"


# --- the sandbox authority ----------------------------------------------------------------------


def _file(declaration: Declaration, response: str = "", attempt: int = 1):  # type: ignore[no-untyped-def]
    return SandboxCustoms(hs_known).submit(Submission(declaration, attempt, NOW, response))


def test_the_sandbox_clears_a_good_parcel_with_an_18_digit_customs_number():
    declaration, _ = parsed(parcel_body())
    answer = _file(declaration)
    assert (answer.outcome, answer.reasons, answer.authority) == ("cleared", (), "sandbox")
    assert len(answer.reference) == 18 and answer.reference.startswith("514120260")
    assert answer.reference == customs_reference("5141", declaration.number, NOW)
    assert _file(declaration).reference == answer.reference  # deterministic


def test_the_sandbox_rejects_a_three_document_mismatch_naming_the_fields():
    body = parcel_body()
    body["payment"]["amount"] = "30.00"
    body["logistics"]["consignee_name"] = "John Smith"
    declaration, _ = parsed(body)
    answer = _file(declaration)
    assert answer.outcome == "rejected"
    assert [(r.field, r.code) for r in answer.reasons] == [
        ("payment.amount", "three-document-mismatch"),
        ("logistics.consignee_name", "three-document-mismatch"),
    ]


def test_the_sandbox_rejects_values_that_do_not_add_up_and_codes_that_do_not_exist():
    declaration, _ = parsed(warehouse_body())
    bad_line = replace(declaration.lines[0], value_minor=330000, hs_code="420240")
    answer = _file(replace(declaration, lines=(bad_line,), total_value_minor=330000))
    assert answer.outcome == "rejected"
    assert [(r.field, r.code, r.message) for r in answer.reasons] == [
        (
            "lines[0].hs_code",
            "rule",
            "420240 does not exist: 420240 is not an HS 2022 subheading",
        ),
        ("lines[0].value", "rule", "line 1: 1000 × 3.20 EUR is 3200.00 EUR, not 3300.00 EUR"),
    ]


def test_the_sandbox_refuses_goods_needing_an_export_licence():
    body = warehouse_body()
    body["lines"][0].update(hs_code="930320", description="Hunting shotgun")
    declaration, _ = parsed(body)
    answer = _file(declaration)
    assert answer.outcome == "rejected"
    assert [(r.field, r.code) for r in answer.reasons] == [("lines[0].hs_code", "refused")]


def test_the_sandbox_holds_a_consignment_above_its_value_threshold_until_answered():
    body = warehouse_body()
    body["lines"][0].update(quantity=2000, net_weight_g=200_000)  # 2,000 × 3.20 = 6,400.00 EUR
    declaration, _ = parsed(body)
    held = _file(declaration)
    assert (held.outcome, [(r.field, r.code) for r in held.reasons]) == (
        "held",
        [("total_value", "inspection")],
    )
    assert held.reasons[0].message.endswith("(6400.00 EUR > 4600.00 EUR)")
    cleared = _file(declaration, "inspected 2026-03-04: goods as declared", attempt=2)
    assert cleared.outcome == "cleared"


def test_the_sandbox_holds_lithium_batteries_for_inspection():
    body = warehouse_body()
    body["lines"][0].update(hs_code="850760", description="Power bank, lithium-ion")
    declaration, _ = parsed(body)
    answer = _file(declaration)
    assert (answer.outcome, answer.reasons[0].field) == ("held", "lines[0].hs_code")
    assert "UN 3480" in answer.reasons[0].message


# --- rebates ------------------------------------------------------------------------------------

RATES = rebates.packaged_rebate_rates()


@pytest.mark.parametrize(
    ("purchase_fen", "rate", "rebate_fen"),
    [
        pytest.param(1_130_000, "0.13", 130_000, id="11,300.00 at 13% is 1,300.00"),
        pytest.param(1_130_000, "0.09", 90_000, id="11,300.00 at 9% is 900.00"),
        pytest.param(625_000, "0.13", 71_903, id="6,250.00 at 13% is 719.0265… → 719.03"),
        pytest.param(2_500, "0.13", 288, id="25.00 at 13% is 2.8761… → 2.88"),
        pytest.param(1_130_000, "0", 0, id="no rebate"),
    ],
)
def test_the_rebate_is_the_purchase_value_without_vat_times_the_rate(
    purchase_fen, rate, rebate_fen
):
    assert rebates.rebate_fen(purchase_fen, Decimal(rate), Decimal("0.13")) == rebate_fen


@pytest.mark.parametrize(
    ("hs_code", "on", "rate_id", "rate"),
    [
        pytest.param("691200", date(2026, 3, 3), "CN-REBATE-69-2019", "0.13", id="ceramics"),
        pytest.param(
            "850760", date(2024, 11, 30), "CN-REBATE-8507-2019", "0.13", id="battery before"
        ),
        pytest.param(
            "850760", date(2024, 12, 1), "CN-REBATE-8507-2024", "0.09", id="battery after"
        ),
        pytest.param(
            "854143", date(2025, 1, 1), "CN-REBATE-854143-2024", "0.09", id="solar module"
        ),
        pytest.param(
            "850440", date(2025, 1, 1), "CN-REBATE-85-2019", "0.13", id="other chapter 85"
        ),
        pytest.param("760711", date(2024, 12, 1), "CN-REBATE-7607-2024", "0", id="aluminium foil"),
    ],
)
def test_the_rate_in_force_with_the_longest_matching_prefix_applies(hs_code, on, rate_id, rate):
    found = rebates.rebate_rate_for(hs_code, on, RATES)
    assert found is not None and (found.id, found.rate) == (rate_id, Decimal(rate))


def test_goods_outside_the_packaged_subset_have_no_rate():
    assert rebates.rebate_rate_for("010121", date(2026, 3, 3), RATES) is None  # live horses
    assert rebates.rebate_rate_for("691200", date(2019, 3, 31), RATES) is None


def test_the_vat_rate_is_dated():
    assert [
        rebates.vat_rate_on(d).rate for d in (date(2018, 4, 30), date(2018, 5, 1), date(2019, 4, 1))
    ] == [
        Decimal("0.17"),
        Decimal("0.16"),
        Decimal("0.13"),
    ]


def test_a_declarations_rebate_is_the_sum_of_its_lines_each_rounded_once():
    declaration, _ = parsed(parcel_body())
    estimate = rebates.estimate_declaration(declaration, date(2026, 3, 3), RATES)
    assert [(x.line_no, x.rebate_cny_minor) for x in estimate.lines] == [(1, 288), (2, 130)]
    assert (estimate.total_cny_minor, estimate.complete, estimate.eligible) == (418, True, False)
    assert estimate.note.startswith("a 9610 parcel is not itself claimed")


def test_lines_without_a_vat_invoice_or_a_purchase_value_get_no_rebate():
    body = parcel_body()
    body["lines"][0]["vat_invoiced"] = False
    del body["lines"][1]["purchase_value_cny"]
    declaration, _ = parsed(body)
    estimate = rebates.estimate_declaration(declaration, date(2026, 3, 3), RATES)
    assert [(x.rebate_cny_minor, x.note) for x in estimate.lines] == [
        (0, "no special VAT invoice from the factory: exempt, no rebate (免税不退)"),
        (None, "no purchase value: use a SKU or give purchase_value_cny"),
    ]
    assert (estimate.total_cny_minor, estimate.complete) == (0, False)


def test_a_sku_rebate_uses_its_supply_price():
    line = rebates.estimate_sku("691200", 1250, 500, date(2026, 3, 3), RATES)
    assert (line.purchase_value_cny_minor, line.rebate_cny_minor) == (625_000, 71_903)


def test_a_new_rate_may_not_overlap_one_for_the_same_prefix():
    new = rebates.RebateRate("new", "8507", Decimal("0.06"), date(2026, 4, 1), None, "", "")
    assert [r.id for r in rebates.overlapping(new, RATES)] == ["CN-REBATE-8507-2024"]


# --- documents ----------------------------------------------------------------------------------


def test_the_commercial_invoice_says_exactly_what_was_declared():
    declaration, _ = parsed(parcel_body())
    invoice = documents.commercial_invoice(declaration, date(2026, 3, 3), "514120260123456789")
    assert (invoice["invoice_no"], invoice["currency"], invoice["total"]) == (
        "CI-9610-20260303-AAAAAA",
        "USD",
        "34.48",
    )
    assert [
        (x["hs_code"], x["quantity"], x["unit_price"], x["amount"]) for x in invoice["lines"]
    ] == [
        ("691200", 2, "12.99", "25.98"),
        ("420222", 1, "8.50", "8.50"),
    ]
    assert invoice["consignee"] == {
        "name": "Emily Carter",
        "address": "12 Elm Street, Springfield, IL 62701",
        "country": "US",
        "reference": "order SO-1001, waybill WBSO1001",
    }
    assert invoice["seller"]["credit_code"] == PLATFORM_CREDIT_CODE


def test_the_packing_list_weighs_the_lines():
    declaration, _ = parsed(parcel_body())
    packing = documents.packing_list(declaration, date(2026, 3, 3))
    assert (packing["packing_list_no"], packing["packages"]) == ("PL-9610-20260303-AAAAAA", 1)
    assert (packing["net_weight_kg"], packing["gross_weight_kg"]) == ("0.960", "1.250")
    assert [x["net_weight_kg"] for x in packing["lines"]] == ["0.760", "0.200"]


def test_the_documents_are_pdfs_naming_their_number_and_the_same_bytes_every_time():
    declaration, _ = parsed(parcel_body())
    invoice = documents.commercial_invoice(declaration, date(2026, 3, 3))
    pdf = documents.invoice_pdf(invoice)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert b"CI-9610-20260303-AAAAAA" in pdf and b"34.48" in pdf
    assert documents.invoice_pdf(invoice) == pdf
    packing = documents.packing_list_pdf(documents.packing_list(declaration, date(2026, 3, 3)))
    assert packing.startswith(b"%PDF-") and b"PL-9610-20260303-AAAAAA" in packing


def test_chinese_only_particulars_do_not_break_the_pdf():
    declaration, _ = parsed(parcel_body(), exporter=replace(EXPORTER, name_en=""))
    pdf = documents.invoice_pdf(documents.commercial_invoice(declaration, date(2026, 3, 3)))
    assert pdf.startswith(b"%PDF-")
