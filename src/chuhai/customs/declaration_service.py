"""Use cases of export declarations: create (per mode), revise, consolidate 9610 parcels,
submit to the customs authority and record its answer, cancel; documents and rebate estimates.

Every rule lives in `customs.declarations` and is checked when a declaration is made or
changed (422 naming each field, nothing written) and again by the authority when it is filed.
Every move goes through `DECLARATION` and is stored with who, when, from, to and why; the
authority's answers are stored too (outcome, reference, reasons), and its moves are recorded
as the authority's. Goods lines may name a SKU: its HS code, descriptions, origin, weight and
supply price (the purchase value for the rebate) come from the catalog. Declarations are for
platform staff: reading needs `customs.read`, changing `customs.declare`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from chuhai.catalog import service as catalog
from chuhai.core.context import Context
from chuhai.core.db import length_errors
from chuhai.core.errors import (
    Conflict,
    FieldError,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from chuhai.core.ids import new_id
from chuhai.core.money import decimal_string
from chuhai.core.pagination import Page, paginate
from chuhai.customs import documents as docs
from chuhai.customs import rebates
from chuhai.customs.authority import AuthorityAnswer, CustomsAuthority, SandboxCustoms, Submission
from chuhai.customs.declarations import (
    AUTHORITY_OUTCOMES,
    DECLARANT_ACTIONS,
    DECLARATION,
    MODES,
    Bonded,
    Buyer,
    Declaration,
    DeclarationDraft,
    Exporter,
    ExporterDraft,
    GoodsLine,
    Kind,
    LineDraft,
    LogisticsRecord,
    OrderLine,
    OrderRecord,
    OverseasWarehouse,
    ParcelRecord,
    PaymentRecord,
    State,
    ThreeDocuments,
    consolidated_lines,
    declaration_errors,
    declaration_number,
    matching_report,
    merge_errors,
    parcel_errors,
    parse_declaration,
    period_error,
    period_of,
    today_in_china,
)
from chuhai.customs.hs import load_nomenclature
from chuhai.customs.tables import (
    AuthorityResponseRow,
    DeclarationLineRow,
    DeclarationRow,
    DeclarationTransitionRow,
    RebateRateRow,
)
from chuhai.parties import service as parties

# --- the authority and the HS nomenclature ------------------------------------------------------


def hs_subheading_exists(code: str) -> bool:
    """Whether a six-digit code is an HS 2022 subheading (the HS capability's nomenclature)."""
    return load_nomenclature().is_subheading(code)


def authority_for(ctx: Context) -> CustomsAuthority:
    """The customs authority declarations are filed with. Only the sandbox exists so far; a
    single-window adapter implements the same `CustomsAuthority` protocol."""
    return SandboxCustoms(hs_subheading_exists)


# --- reading ------------------------------------------------------------------------------------


def visible_declaration(ctx: Context, declaration_id: str) -> DeclarationRow:
    ctx.actor.require("customs.read")
    row = ctx.session.get(DeclarationRow, declaration_id)
    if row is None:
        raise NotFound("no such declaration", field="declaration_id")
    return row


def declaration_by_number(ctx: Context, number: str) -> DeclarationRow:
    ctx.actor.require("customs.read")
    row = ctx.session.scalar(select(DeclarationRow).where(DeclarationRow.number == number))
    if row is None:
        raise NotFound(f"no declaration numbered {number!r}", field="number")
    return row


def list_declarations(
    ctx: Context,
    *,
    mode: str | None = None,
    state: str | None = None,
    kind: str | None = None,
    period: str | None = None,
    search: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[DeclarationRow]:
    """Declarations, newest first, filtered by mode, state, kind, period or a number."""
    ctx.actor.require("customs.read")
    if mode and mode not in MODES:
        raise ValidationFailed.one(
            "mode", f"unknown customs mode {mode!r}; one of {', '.join(MODES)}"
        )
    if state and state not in DECLARATION.states:
        raise ValidationFailed.one("state", f"one of {', '.join(sorted(DECLARATION.states))}")
    query = select(DeclarationRow).order_by(DeclarationRow.created_at.desc(), DeclarationRow.id)
    if mode:
        query = query.where(DeclarationRow.mode == mode)
    if state:
        query = query.where(DeclarationRow.state == state)
    if kind:
        query = query.where(DeclarationRow.kind == kind)
    if period:
        query = query.where(DeclarationRow.period == period)
    if search:
        pattern = f"%{search.strip()}%"
        query = query.where(
            or_(
                DeclarationRow.number.ilike(pattern),
                DeclarationRow.order_no.ilike(pattern),
                DeclarationRow.exporter_name.ilike(pattern),
                DeclarationRow.authority_reference.ilike(pattern),
            )
        )
    return paginate(ctx.session, query, limit, offset)


def state_counts(ctx: Context, mode: str | None = None) -> dict[str, int]:
    ctx.actor.require("customs.read")
    query = select(DeclarationRow.state, func.count()).group_by(DeclarationRow.state)
    if mode:
        query = query.where(DeclarationRow.mode == mode)
    return {state: int(count) for state, count in ctx.session.execute(query)}


def lines_of(session: Session, declaration_id: str) -> list[DeclarationLineRow]:
    query = (
        select(DeclarationLineRow)
        .where(DeclarationLineRow.declaration_id == declaration_id)
        .order_by(DeclarationLineRow.line_no)
    )
    return list(session.scalars(query))


def transitions_of(ctx: Context, declaration_id: str) -> list[DeclarationTransitionRow]:
    row = visible_declaration(ctx, declaration_id)
    query = (
        select(DeclarationTransitionRow)
        .where(DeclarationTransitionRow.declaration_id == row.id)
        .order_by(DeclarationTransitionRow.at, DeclarationTransitionRow.id)
    )
    return list(ctx.session.scalars(query))


def responses_of(ctx: Context, declaration_id: str) -> list[AuthorityResponseRow]:
    row = visible_declaration(ctx, declaration_id)
    query = (
        select(AuthorityResponseRow)
        .where(AuthorityResponseRow.declaration_id == row.id)
        .order_by(AuthorityResponseRow.attempt)
    )
    return list(ctx.session.scalars(query))


def parcels_of(session: Session, consolidation_id: str) -> list[DeclarationRow]:
    query = (
        select(DeclarationRow)
        .where(DeclarationRow.consolidated_into_id == consolidation_id)
        .order_by(DeclarationRow.number)
    )
    return list(session.scalars(query))


def _line_of(row: DeclarationLineRow) -> GoodsLine:
    return GoodsLine(
        line_no=row.line_no,
        description=row.description,
        description_zh=row.description_zh,
        hs_code=row.hs_code,
        quantity=row.quantity,
        unit=row.unit,
        unit_price_minor=row.unit_price_minor,
        value_minor=row.value_minor,
        currency=row.currency,
        origin_country=row.origin_country,
        net_weight_g=row.net_weight_g,
        sku_id=row.sku_id,
        purchase_value_cny_minor=row.purchase_value_cny_minor,
        vat_invoiced=row.vat_invoiced,
    )


def _exporter_of(row: DeclarationRow) -> Exporter:
    return Exporter(
        kind=row.exporter_kind,
        name=row.exporter_name,
        name_en=row.exporter_name_en,
        credit_code=row.exporter_credit_code,
        customs_code=row.exporter_customs_code,
        address=row.exporter_address,
        supplier_id=row.exporter_supplier_id,
    )


def _parcel_record(session: Session, row: DeclarationRow) -> ParcelRecord:
    into = (
        session.get(DeclarationRow, row.consolidated_into_id) if row.consolidated_into_id else None
    )
    return ParcelRecord(
        number=row.number,
        state=row.state,
        period=row.period,
        exporter_credit_code=row.exporter_credit_code,
        destination_country=row.destination_country,
        transport_mode=row.transport_mode,
        currency=row.currency,
        lines=tuple(_line_of(line) for line in lines_of(session, row.id)),
        consolidated_into=into.number if into else None,
    )


def declaration_of(session: Session, row: DeclarationRow) -> Declaration:
    """The stored declaration as the rules, the documents and the authority see it."""
    entry = session.get(DeclarationRow, row.bonded_entry_id) if row.bonded_entry_id else None
    return Declaration(
        number=row.number,
        mode=row.mode,
        kind=row.kind,
        exporter=_exporter_of(row),
        currency=row.currency,
        destination_country=row.destination_country,
        transport_mode=row.transport_mode,
        port_of_exit=row.port_of_exit,
        gross_weight_g=row.gross_weight_g,
        packages=row.packages,
        lines=tuple(_line_of(line) for line in lines_of(session, row.id)),
        total_value_minor=row.total_value_minor,
        documents=_documents_of(row.documents) if row.documents else None,
        buyer=Buyer(row.buyer_name, row.buyer_country, row.contract_no)
        if row.mode == "9710"
        else None,
        overseas_warehouse=OverseasWarehouse(
            row.overseas_warehouse_code, row.overseas_warehouse_name, row.overseas_warehouse_country
        )
        if row.mode == "9810"
        else None,
        bonded=Bonded(
            row.bonded_warehouse_code, row.bonded_direction, entry.number if entry else ""
        )
        if row.mode == "1210"
        else None,
        period=row.period,
        parcels=tuple(_parcel_record(session, p) for p in parcels_of(session, row.id))
        if row.kind == Kind.CONSOLIDATED
        else (),
    )


@dataclass
class DeclarationView:
    row: DeclarationRow
    declaration: Declaration
    lines: list[DeclarationLineRow]
    transitions: list[DeclarationTransitionRow]
    responses: list[AuthorityResponseRow]
    parcels: list[DeclarationRow]
    matching: list[dict[str, object]] | None
    rebate: rebates.RebateEstimate
    actions: list[str] = field(default_factory=list)
    bonded_entry: DeclarationRow | None = None
    consolidated_into: DeclarationRow | None = None


def declaration_view(ctx: Context, declaration_id: str) -> DeclarationView:
    row = visible_declaration(ctx, declaration_id)
    declaration = declaration_of(ctx.session, row)
    session = ctx.session
    return DeclarationView(
        row=row,
        declaration=declaration,
        lines=lines_of(session, row.id),
        transitions=transitions_of(ctx, row.id),
        responses=responses_of(ctx, row.id),
        parcels=parcels_of(session, row.id) if row.kind == Kind.CONSOLIDATED else [],
        matching=matching_report(declaration) if declaration.documents else None,
        rebate=rebates.estimate_declaration(declaration, _export_date(row), rebate_rates(session)),
        actions=available_actions(ctx, row),
        bonded_entry=session.get(DeclarationRow, row.bonded_entry_id)
        if row.bonded_entry_id
        else None,
        consolidated_into=session.get(DeclarationRow, row.consolidated_into_id)
        if row.consolidated_into_id
        else None,
    )


def available_actions(ctx: Context, row: DeclarationRow) -> list[str]:
    """What the actor may do to the declaration now (for doors to show as buttons)."""
    actions = [
        t.action
        for t in DECLARATION.actions_from(row.state)
        if t.action in DECLARANT_ACTIONS and ctx.actor.can(t.permission)
    ]
    if (
        row.state == State.DRAFT
        and row.kind != Kind.CONSOLIDATED
        and ctx.actor.can("customs.declare")
    ):
        actions.append("edit")
    return actions


# --- the three documents, stored as received ----------------------------------------------------


def _documents_json(d: ThreeDocuments) -> dict[str, Any]:
    o, p, lg = d.order, d.payment, d.logistics
    return {
        "order": {
            "order_no": o.order_no,
            "buyer_name": o.buyer_name,
            "buyer_id_hash": o.buyer_id_hash,
            "lines": [
                {
                    "description": line.description,
                    "quantity": line.quantity,
                    "unit_price": decimal_string(line.unit_price_minor, o.currency),
                    "unit_price_minor": line.unit_price_minor,
                    "sku_id": line.sku_id,
                    "hs_code": line.hs_code,
                }
                for line in o.lines
            ],
            "total": decimal_string(o.total_minor, o.currency),
            "total_minor": o.total_minor,
            "currency": o.currency,
        },
        "payment": {
            "payment_no": p.payment_no,
            "order_no": p.order_no,
            "payer_name": p.payer_name,
            "payer_id_hash": p.payer_id_hash,
            "amount": decimal_string(p.amount_minor, p.currency),
            "amount_minor": p.amount_minor,
            "currency": p.currency,
            "paid_at": p.paid_at.isoformat(),
        },
        "logistics": {
            "waybill_no": lg.waybill_no,
            "order_no": lg.order_no,
            "consignee_name": lg.consignee_name,
            "address": lg.address,
            "country": lg.country,
            "weight_g": lg.weight_g,
        },
    }


def _documents_of(data: dict[str, Any]) -> ThreeDocuments:
    o, p, lg = data["order"], data["payment"], data["logistics"]
    return ThreeDocuments(
        OrderRecord(
            order_no=o["order_no"],
            buyer_name=o["buyer_name"],
            lines=tuple(
                OrderLine(
                    description=line["description"],
                    quantity=line["quantity"],
                    unit_price_minor=line["unit_price_minor"],
                    sku_id=line["sku_id"],
                    hs_code=line["hs_code"],
                )
                for line in o["lines"]
            ),
            total_minor=o["total_minor"],
            currency=o["currency"],
            buyer_id_hash=o["buyer_id_hash"],
        ),
        PaymentRecord(
            payment_no=p["payment_no"],
            order_no=p["order_no"],
            payer_name=p["payer_name"],
            amount_minor=p["amount_minor"],
            currency=p["currency"],
            paid_at=datetime.fromisoformat(p["paid_at"]),
            payer_id_hash=p["payer_id_hash"],
        ),
        LogisticsRecord(
            waybill_no=lg["waybill_no"],
            order_no=lg["order_no"],
            consignee_name=lg["consignee_name"],
            address=lg["address"],
            country=lg["country"],
            weight_g=lg["weight_g"],
        ),
    )


# --- making a declaration -----------------------------------------------------------------------


def _resolve_exporter(
    ctx: Context, draft: ExporterDraft | None
) -> tuple[Exporter | None, list[FieldError]]:
    if draft is None:
        return None, []  # declaration_errors names the missing exporter
    customs_code = (draft.customs_code or "").strip().upper()
    if draft.kind == "supplier":
        if not draft.supplier_id:
            return None, [FieldError("exporter.supplier_id", "say which supplier exports")]
        try:
            supplier = parties.visible_supplier(ctx, draft.supplier_id)
        except NotFound:
            return None, [FieldError("exporter.supplier_id", f"no supplier {draft.supplier_id!r}")]
        if supplier.status != "verified":
            return None, [
                FieldError(
                    "exporter.supplier_id",
                    f"supplier {supplier.code} is {supplier.status}, not verified by the platform",
                )
            ]
        return (
            Exporter(
                kind="supplier",
                name=supplier.legal_name,
                name_en=supplier.legal_name_en,
                credit_code=supplier.credit_code,
                customs_code=customs_code,
                address=supplier.address,
                supplier_id=supplier.id,
            ),
            [],
        )
    if draft.kind == "platform":
        exporter = Exporter(
            kind="platform",
            name=draft.name.strip(),
            name_en=draft.name_en.strip(),
            credit_code=(draft.credit_code or "").strip().upper(),
            customs_code=customs_code,
            address=draft.address.strip(),
        )
        errors = length_errors(
            DeclarationRow,
            {
                "exporter_name": exporter.name,
                "exporter_name_en": exporter.name_en,
                "exporter_address": exporter.address,
            },
        )
        return exporter, [
            FieldError(e.field.replace("exporter_", "exporter."), e.message) for e in errors
        ]
    return None, [FieldError("exporter.kind", "supplier (with supplier_id) or platform")]


def _describe_sku(ctx: Context, sku: Any) -> tuple[str, str]:
    product = catalog.visible_product(ctx, sku.product_id)
    options = ", ".join(f"{k}: {v}" for k, v in sorted(sku.options.items()))
    english = f"{product.title_en} ({options})" if options else product.title_en
    chinese = product.title_zh
    return english[:300], chinese[:300]


def _fill_from_skus(
    ctx: Context, lines: list[LineDraft]
) -> tuple[list[LineDraft], list[FieldError]]:
    """Lines naming a SKU take what the line leaves out from the SKU and its product."""
    filled, errors = [], []
    for index, line in enumerate(lines):
        if not line.sku_id:
            filled.append(line)
            continue
        try:
            sku = catalog.visible_sku(ctx, line.sku_id)
        except NotFound:
            errors.append(FieldError(f"lines[{index}].sku_id", f"no SKU {line.sku_id!r}"))
            filled.append(line)
            continue
        english, chinese = _describe_sku(ctx, sku)
        quantity = (
            line.quantity
            if isinstance(line.quantity, int) and not isinstance(line.quantity, bool)
            else 0
        )
        if not line.hs_code and not sku.hs_code:
            errors.append(
                FieldError(
                    f"lines[{index}].hs_code",
                    f"SKU {sku.sku_code} has no confirmed HS code yet: classify it, or give the "
                    "line's hs_code",
                )
            )
        purchase = line.purchase_value_cny
        if purchase is None and sku.supply_price_currency == "CNY" and quantity > 0:
            purchase = decimal_string(sku.supply_price_amount * quantity, "CNY")
        filled.append(
            LineDraft(
                quantity=line.quantity,
                unit_price=line.unit_price,
                currency=line.currency,
                unit=line.unit,
                sku_id=sku.id,
                hs_code=line.hs_code or sku.hs_code or "",
                description=line.description or english,
                description_zh=line.description_zh or chinese,
                value=line.value,
                origin_country=line.origin_country or sku.origin_country,
                # a line with a bad quantity is refused for it; its weight is not a second error
                net_weight_g=line.net_weight_g
                if line.net_weight_g is not None
                else sku.weight_g * max(quantity, 1),
                purchase_value_cny=purchase,
                vat_invoiced=line.vat_invoiced,
            )
        )
    return filled, errors


def _check_length(declaration: Declaration) -> list[FieldError]:
    found = []
    for index, line in enumerate(declaration.lines):
        found += length_errors(
            DeclarationLineRow,
            {"description": line.description, "description_zh": line.description_zh},
            prefix=f"lines[{index}].",
        )
    if declaration.buyer:
        found += [
            FieldError(f"buyer.{e.field}", e.message)
            for e in length_errors(
                DeclarationRow,
                {
                    "buyer_name": declaration.buyer.name,
                    "contract_no": declaration.buyer.contract_no,
                },
            )
        ]
    if declaration.overseas_warehouse:
        found += [
            FieldError("overseas_warehouse.name", e.message)
            for e in length_errors(
                DeclarationRow, {"overseas_warehouse_name": declaration.overseas_warehouse.name}
            )
        ]
    return found


def _bonded_entry(
    ctx: Context, declaration: Declaration, exclude_id: str | None
) -> tuple[DeclarationRow | None, list[FieldError]]:
    """A 1210 exit leaves against a cleared entry into the same bonded warehouse, and takes
    out no more of each good than entered and is not yet taken out by other exits."""
    b = declaration.bonded
    if b is None or b.direction != "exit" or not b.entry_number:
        return None, []
    entry = ctx.session.scalar(
        select(DeclarationRow).where(DeclarationRow.number == b.entry_number)
    )
    field_name = "bonded.entry_number"
    if entry is None or entry.mode != "1210" or entry.bonded_direction != "entry":
        return None, [FieldError(field_name, f"{b.entry_number} is not a 1210 entry declaration")]
    if entry.state != State.CLEARED:
        return None, [FieldError(field_name, f"entry {entry.number} is {entry.state}, not cleared")]
    if entry.bonded_warehouse_code != b.warehouse_code:
        return None, [
            FieldError(
                field_name,
                f"entry {entry.number} went into bonded warehouse {entry.bonded_warehouse_code}, "
                f"not {b.warehouse_code}",
            )
        ]
    entered: dict[str, int] = defaultdict(int)
    for line in lines_of(ctx.session, entry.id):
        entered[_bonded_key(line.sku_id, line.hs_code)] += line.quantity
    others = ctx.session.scalars(
        select(DeclarationRow).where(
            DeclarationRow.bonded_entry_id == entry.id,
            DeclarationRow.state.not_in([State.CANCELLED, State.REJECTED]),
        )
    )
    taken: dict[str, int] = defaultdict(int)
    for other in others:
        if other.id == exclude_id:
            continue
        for line in lines_of(ctx.session, other.id):
            taken[_bonded_key(line.sku_id, line.hs_code)] += line.quantity
    errors = []
    wanted: dict[str, int] = defaultdict(int)
    for index, goods in enumerate(declaration.lines):
        key = _bonded_key(goods.sku_id, goods.hs_code)
        wanted[key] += goods.quantity
        remaining = entered.get(key, 0) - taken[key]
        if wanted[key] > remaining:
            what = f"SKU {goods.sku_id}" if goods.sku_id else f"HS {goods.hs_code}"
            errors.append(
                FieldError(
                    f"lines[{index}].quantity",
                    f"only {max(remaining, 0)} of {what} remain in bonded entry {entry.number}; "
                    f"this exit takes {wanted[key]}",
                )
            )
    return entry, errors


def _bonded_key(sku_id: str | None, hs_code: str) -> str:
    return f"sku:{sku_id}" if sku_id else f"hs:{hs_code}"


def _order_taken(ctx: Context, order_no: str, exclude_id: str | None) -> DeclarationRow | None:
    query = select(DeclarationRow).where(
        DeclarationRow.mode == "9610",
        DeclarationRow.order_no == order_no,
        DeclarationRow.state != State.CANCELLED,
    )
    if exclude_id:
        query = query.where(DeclarationRow.id != exclude_id)
    return ctx.session.scalars(query).first()


def _checked(
    ctx: Context, draft: DeclarationDraft, number: str, exclude_id: str | None = None
) -> tuple[Declaration, DeclarationRow | None]:
    """The declaration the draft makes, after every rule; ValidationFailed with all errors."""
    exporter, exporter_problems = _resolve_exporter(ctx, draft.exporter)
    lines, sku_problems = _fill_from_skus(ctx, draft.lines)
    filled = DeclarationDraft(**{**vars(draft), "lines": lines})
    declaration, input_problems = parse_declaration(filled, number, exporter)
    if input_problems and any(e.field == "mode" for e in input_problems):
        raise ValidationFailed([e for e in input_problems if e.field == "mode"])
    errors = merge_errors(
        exporter_problems,
        sku_problems,
        input_problems,
        declaration_errors(declaration, hs_subheading_exists),
        _check_length(declaration),
    )
    entry, bonded_problems = (None, []) if errors else _bonded_entry(ctx, declaration, exclude_id)
    errors += bonded_problems
    if errors:
        raise ValidationFailed(errors)
    if declaration.documents is not None:
        taken = _order_taken(ctx, declaration.documents.order.order_no, exclude_id)
        if taken is not None:
            raise Conflict(
                f"order {declaration.documents.order.order_no} is already declared in "
                f"{taken.number} ({taken.state})",
                field="order.order_no",
            )
    return declaration, entry


def _apply(row: DeclarationRow, d: Declaration, entry: DeclarationRow | None) -> None:
    e = d.exporter
    assert e is not None, "a checked declaration has an exporter"
    row.exporter_kind = e.kind
    row.exporter_supplier_id = e.supplier_id
    row.exporter_name = e.name
    row.exporter_name_en = e.name_en
    row.exporter_credit_code = e.credit_code
    row.exporter_customs_code = e.customs_code
    row.exporter_address = e.address
    row.currency = d.currency
    row.total_value_minor = d.total_value_minor
    row.destination_country = d.destination_country
    row.transport_mode = d.transport_mode
    row.port_of_exit = d.port_of_exit
    row.gross_weight_g = d.gross_weight_g
    row.packages = d.packages
    row.documents = _documents_json(d.documents) if d.documents else {}
    row.order_no = d.documents.order.order_no if d.documents else None
    row.buyer_name = d.buyer.name.strip() if d.buyer else ""
    row.buyer_country = d.buyer.country if d.buyer else ""
    row.contract_no = d.buyer.contract_no.strip() if d.buyer else ""
    w = d.overseas_warehouse
    row.overseas_warehouse_code = w.code if w else ""
    row.overseas_warehouse_name = w.name.strip() if w else ""
    row.overseas_warehouse_country = w.country if w else ""
    row.bonded_warehouse_code = d.bonded.warehouse_code if d.bonded else ""
    row.bonded_direction = d.bonded.direction if d.bonded else ""
    row.bonded_entry_id = entry.id if entry else None


def _insert_lines(ctx: Context, row: DeclarationRow, lines: tuple[GoodsLine, ...]) -> None:
    for line in lines:
        ctx.session.add(
            DeclarationLineRow(
                id=new_id("dln"),
                declaration_id=row.id,
                line_no=line.line_no,
                sku_id=line.sku_id,
                hs_code=line.hs_code,
                description=line.description,
                description_zh=line.description_zh,
                quantity=line.quantity,
                unit=line.unit,
                unit_price_minor=line.unit_price_minor,
                value_minor=line.value_minor,
                currency=line.currency,
                origin_country=line.origin_country,
                net_weight_g=line.net_weight_g,
                purchase_value_cny_minor=line.purchase_value_cny_minor,
                vat_invoiced=line.vat_invoiced,
            )
        )


def _new_number(ctx: Context, mode: str) -> str:
    return declaration_number(mode, ctx.now(), new_id("x")[-6:])


def create_declaration(ctx: Context, draft: DeclarationDraft) -> DeclarationRow:
    """A draft declaration in a mode (9610 parcel, 9710, 9810 or 1210), checked against every
    rule; nothing is written when one is broken."""
    ctx.actor.require("customs.declare")
    number = _new_number(ctx, draft.mode if draft.mode in MODES else "0000")
    declaration, entry = _checked(ctx, draft, number)
    now = ctx.now()
    row = DeclarationRow(
        id=new_id("dcl"),
        number=number,
        mode=declaration.mode,
        kind=declaration.kind,
        state=State.DRAFT,
        created_by=ctx.actor.user_id,
        created_at=now,
        updated_at=now,
    )
    _apply(row, declaration, entry)
    ctx.session.add(row)
    ctx.session.flush()
    _insert_lines(ctx, row, declaration.lines)
    _record(ctx, row, "create", "", State.DRAFT, "")
    ctx.session.flush()
    return row


def update_declaration(
    ctx: Context, declaration_id: str, draft: DeclarationDraft
) -> DeclarationRow:
    """Replace a draft's particulars and lines (its number stays)."""
    row = visible_declaration(ctx, declaration_id)
    ctx.actor.require("customs.declare")
    if row.state != State.DRAFT:
        raise InvalidTransition("declaration", row.state, "edit")
    if row.kind == Kind.CONSOLIDATED:
        raise Conflict(
            "a consolidated declaration is made from its parcels: cancel it and consolidate again",
            current_state=row.state,
        )
    if draft.mode != row.mode:
        raise ValidationFailed.one(
            "mode", f"this is a {row.mode} declaration; cancel it and create one in {draft.mode}"
        )
    declaration, entry = _checked(ctx, draft, row.number, exclude_id=row.id)
    for line in lines_of(ctx.session, row.id):
        ctx.session.delete(line)
    ctx.session.flush()
    _apply(row, declaration, entry)
    _insert_lines(ctx, row, declaration.lines)
    row.updated_at = ctx.now()
    _record(ctx, row, "edit", State.DRAFT, State.DRAFT, "")
    ctx.session.flush()
    return row


def consolidate(
    ctx: Context, *, period: str, parcel_ids: list[str], port_of_exit: str | None = None
) -> DeclarationRow:
    """The 9610 consolidated declaration of a month's cleared parcels (汇总申报): one exporter,
    destination, transport mode and currency; the parcels' goods summed line by line."""
    ctx.actor.require("customs.declare")
    if (problem := period_error(period)) is not None:
        raise ValidationFailed.one("period", problem)
    ids = list(parcel_ids)
    if not ids:
        raise ValidationFailed.one("parcel_ids", "choose at least one cleared parcel")
    rows, errors = [], []
    for index, parcel_id in enumerate(ids):
        row = ctx.session.get(DeclarationRow, parcel_id)
        if row is None or row.mode != "9610" or row.kind != Kind.PARCEL:
            errors.append(
                FieldError(f"parcels[{index}]", f"{parcel_id} is not a 9610 parcel declaration")
            )
        else:
            rows.append(row)
    if errors:
        raise ValidationFailed(errors)
    records = [_parcel_record(ctx.session, r) for r in rows]
    if errors := parcel_errors(period, records):
        raise ValidationFailed(errors)
    first = rows[0]
    number = _new_number(ctx, "9610")
    declaration = Declaration(
        number=number,
        mode="9610",
        kind=Kind.CONSOLIDATED,
        exporter=_exporter_of(first),
        currency=first.currency,
        destination_country=first.destination_country,
        transport_mode=first.transport_mode,
        port_of_exit=port_of_exit or first.port_of_exit,
        gross_weight_g=sum(r.gross_weight_g for r in rows),
        packages=sum(r.packages for r in rows),
        lines=consolidated_lines(records),
        total_value_minor=sum(r.total_value_minor for r in rows),
        period=period,
        parcels=tuple(records),
    )
    if errors := declaration_errors(declaration, hs_subheading_exists):
        raise ValidationFailed(errors)
    now = ctx.now()
    consolidated = DeclarationRow(
        id=new_id("dcl"),
        number=number,
        mode="9610",
        kind=Kind.CONSOLIDATED,
        state=State.DRAFT,
        period=period,
        created_by=ctx.actor.user_id,
        created_at=now,
        updated_at=now,
    )
    _apply(consolidated, declaration, None)
    ctx.session.add(consolidated)
    ctx.session.flush()
    _insert_lines(ctx, consolidated, declaration.lines)
    for row in rows:
        row.consolidated_into_id = consolidated.id
        row.updated_at = now
    _record(ctx, consolidated, "create", "", State.DRAFT, "", {"parcels": [r.number for r in rows]})
    ctx.session.flush()
    return consolidated


def eligible_parcels(
    ctx: Context, period: str | None = None, limit: int = 200
) -> list[DeclarationRow]:
    """Cleared 9610 parcels not yet in a consolidation (of one period, or all)."""
    ctx.actor.require("customs.read")
    query = select(DeclarationRow).where(
        DeclarationRow.mode == "9610",
        DeclarationRow.kind == Kind.PARCEL,
        DeclarationRow.state == State.CLEARED,
        DeclarationRow.consolidated_into_id.is_(None),
    )
    if period:
        query = query.where(DeclarationRow.period == period)
    return list(
        ctx.session.scalars(
            query.order_by(DeclarationRow.period, DeclarationRow.number).limit(limit)
        )
    )


# --- moving through the workflow ----------------------------------------------------------------


def _record(
    ctx: Context,
    row: DeclarationRow,
    action: str,
    from_state: str,
    to_state: str,
    reason: str,
    details: dict[str, Any] | None = None,
    *,
    authority: str | None = None,
) -> DeclarationTransitionRow:
    transition = DeclarationTransitionRow(
        id=new_id("dtr"),
        declaration_id=row.id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor_id=f"authority:{authority}" if authority else ctx.actor.user_id,
        actor_name=f"Customs authority ({authority})"
        if authority
        else (ctx.actor.display_name or ctx.actor.username),
        reason=reason.strip(),
        details=details or {},
        at=ctx.now(),
    )
    ctx.session.add(transition)
    return transition


def _move(
    ctx: Context,
    row: DeclarationRow,
    action: str,
    reason: str = "",
    details: dict[str, Any] | None = None,
    *,
    authority: str | None = None,
) -> None:
    transition = DECLARATION.transition(row.state, action)
    if authority is None:
        ctx.actor.require(transition.permission)
    _record(ctx, row, action, row.state, transition.target, reason, details, authority=authority)
    row.state = transition.target
    row.updated_at = ctx.now()
    ctx.session.flush()


def _file(ctx: Context, row: DeclarationRow, response_to_hold: str = "") -> AuthorityAnswer:
    """Send the declaration to the authority, store its answer and move as it says."""
    authority = authority_for(ctx)
    attempt = 1 + int(
        ctx.session.scalar(
            select(func.count()).where(AuthorityResponseRow.declaration_id == row.id)
        )
        or 0
    )
    now = ctx.now()
    answer = authority.submit(
        Submission(declaration_of(ctx.session, row), attempt, now, response_to_hold)
    )
    reasons = [r.as_dict() for r in answer.reasons]
    ctx.session.add(
        AuthorityResponseRow(
            id=new_id("car"),
            declaration_id=row.id,
            attempt=attempt,
            authority=answer.authority,
            outcome=answer.outcome,
            reference=answer.reference,
            reasons=reasons,
            response_to_hold=response_to_hold.strip(),
            submitted_at=now,
            answered_at=answer.answered_at,
        )
    )
    row.submitted_at = now
    row.authority_reference = answer.reference
    _move(
        ctx,
        row,
        AUTHORITY_OUTCOMES[answer.outcome],
        "; ".join(f"{r.field}: {r.message}" for r in answer.reasons),
        {"reference": answer.reference, "attempt": attempt, "reasons": reasons},
        authority=answer.authority,
    )
    if answer.outcome == "cleared":
        row.cleared_at = answer.answered_at
        if row.kind == Kind.PARCEL:
            row.period = period_of(answer.answered_at)
    return answer


def submit(ctx: Context, declaration_id: str, note: str = "") -> DeclarationRow:
    """File a draft with the customs authority; it comes back cleared, held or rejected."""
    row = visible_declaration(ctx, declaration_id)
    _move(ctx, row, "submit", note)
    _file(ctx, row)
    return row


def resubmit(ctx: Context, declaration_id: str, response: str) -> DeclarationRow:
    """File a held declaration again with the answer to the hold (the inspection's outcome,
    the documents supplied)."""
    row = visible_declaration(ctx, declaration_id)
    DECLARATION.transition(row.state, "resubmit")  # 409 before the other checks
    if not response or not response.strip():
        raise ValidationFailed.one(
            "response", "answer the hold: what the inspection found, what was supplied"
        )
    _move(ctx, row, "resubmit", response)
    _file(ctx, row, response)
    return row


def revise(ctx: Context, declaration_id: str, note: str = "") -> DeclarationRow:
    """Take a rejected declaration back to draft to correct it."""
    row = visible_declaration(ctx, declaration_id)
    _move(ctx, row, "revise", note)
    return row


def cancel(ctx: Context, declaration_id: str, reason: str) -> DeclarationRow:
    """Withdraw a declaration that is not cleared; a consolidation frees its parcels."""
    row = visible_declaration(ctx, declaration_id)
    DECLARATION.transition(row.state, "cancel")
    if not reason or not reason.strip():
        raise ValidationFailed.one("reason", "say why the declaration is withdrawn")
    freed = parcels_of(ctx.session, row.id) if row.kind == Kind.CONSOLIDATED else []
    for parcel in freed:
        parcel.consolidated_into_id = None
        parcel.updated_at = ctx.now()
    _move(
        ctx, row, "cancel", reason, {"freed_parcels": [p.number for p in freed]} if freed else None
    )
    return row


# --- documents ----------------------------------------------------------------------------------


def _export_date(row: DeclarationRow) -> date:
    """The date that dates the declaration's documents and rates: its clearance, its filing,
    or (a draft) its creation, in China."""
    return today_in_china(row.cleared_at or row.submitted_at or row.created_at)


def document_json(ctx: Context, declaration_id: str, kind: str) -> dict[str, Any]:
    """The commercial invoice or the packing list as JSON."""
    if kind not in docs.DOCUMENT_KINDS:
        raise NotFound(
            f"no document {kind!r}; one of {', '.join(docs.DOCUMENT_KINDS)}", field="document"
        )
    row = visible_declaration(ctx, declaration_id)
    return docs.document_json(
        kind, declaration_of(ctx.session, row), _export_date(row), row.authority_reference
    )


def document_pdf(ctx: Context, declaration_id: str, kind: str) -> tuple[str, bytes]:
    """The commercial invoice or the packing list as a PDF, with its file name."""
    body = document_json(ctx, declaration_id, kind)
    number = body["invoice_no"] if kind == "commercial-invoice" else body["packing_list_no"]
    return f"{number}.pdf", docs.document_pdf(kind, body)


# --- rebates ------------------------------------------------------------------------------------


def _rate_of(row: RebateRateRow) -> rebates.RebateRate:
    return rebates.RebateRate(
        id=row.id,
        hs_prefix=row.hs_prefix,
        rate=Decimal(row.rate),
        effective_from=row.effective_from,
        effective_to=row.effective_to,
        description=row.description,
        source=row.source,
    )


def rebate_rates(session: Session) -> list[rebates.RebateRate]:
    return [
        _rate_of(r)
        for r in session.scalars(select(RebateRateRow).order_by(RebateRateRow.hs_prefix))
    ]


def seed_rebate_rates(session: Session, now: datetime) -> int:
    """Load the packaged rebate rates that are not in the database yet (by id)."""
    existing = set(session.scalars(select(RebateRateRow.id)))
    added = 0
    for rate in rebates.packaged_rebate_rates():
        if rate.id in existing:
            continue
        session.add(
            RebateRateRow(
                id=rate.id,
                hs_prefix=rate.hs_prefix,
                rate=str(rate.rate),
                effective_from=rate.effective_from,
                effective_to=rate.effective_to,
                description=rate.description,
                source=rate.source,
                created_by="chuhai",
                created_at=now,
            )
        )
        added += 1
    return added


def list_rebate_rates(
    ctx: Context, hs_code: str | None = None, on: date | None = None
) -> list[RebateRateRow]:
    ctx.actor.require("customs.read")
    rows = list(
        ctx.session.scalars(
            select(RebateRateRow).order_by(RebateRateRow.hs_prefix, RebateRateRow.effective_from)
        )
    )
    if hs_code:
        rows = [r for r in rows if hs_code.startswith(r.hs_prefix)]
    if on:
        rows = [r for r in rows if _rate_of(r).in_force(on)]
    return rows


def add_rebate_rate(
    ctx: Context,
    *,
    hs_prefix: str,
    rate: str,
    effective_from: date,
    effective_to: date | None,
    description: str,
    source: str,
) -> RebateRateRow:
    """A new dated, sourced rate; it may not overlap another for the same prefix."""
    ctx.actor.require("customs.declare")
    errors = []
    prefix = (hs_prefix or "").strip().replace(".", "")
    if not (prefix.isdigit() and len(prefix) in (2, 4, 6, 8, 10)):
        errors.append(
            FieldError("hs_prefix", "an HS chapter, heading or subheading: 2, 4, 6, 8 or 10 digits")
        )
    try:
        value = Decimal(rate)
        if (
            not value.is_finite()
            or not 0 <= value <= Decimal("0.17")
            or value != value.quantize(Decimal("0.0001"))
        ):
            errors.append(FieldError("rate", "a fraction between 0 and 0.17, e.g. 0.13"))
    except (InvalidOperation, TypeError):
        errors.append(FieldError("rate", f"{rate!r} is not a number; give a fraction, e.g. 0.13"))
        value = Decimal(0)
    if effective_to is not None and effective_to < effective_from:
        errors.append(FieldError("effective_to", "is before effective_from"))
    if not description.strip():
        errors.append(FieldError("description", "is required"))
    if not source.strip():
        errors.append(FieldError("source", "cite the announcement or the rate library entry"))
    errors += length_errors(RebateRateRow, {"description": description.strip()})
    if errors:
        raise ValidationFailed(errors)
    new = rebates.RebateRate(
        new_id("rbr"),
        prefix,
        value,
        effective_from,
        effective_to,
        description.strip(),
        source.strip(),
    )
    clash = rebates.overlapping(new, rebate_rates(ctx.session))
    if clash:
        raise Conflict(
            f"a rate for {prefix} is already in force from {clash[0].effective_from} to "
            f"{clash[0].effective_to or 'now'}; close it before adding one that overlaps",
            field="effective_from",
        )
    row = RebateRateRow(
        id=new.id,
        hs_prefix=prefix,
        rate=str(value.normalize()) if value else "0",
        effective_from=effective_from,
        effective_to=effective_to,
        description=new.description,
        source=new.source,
        created_by=ctx.actor.user_id,
        created_at=ctx.now(),
    )
    ctx.session.add(row)
    ctx.session.flush()
    return row


def declaration_rebate(ctx: Context, declaration_id: str) -> rebates.RebateEstimate:
    row = visible_declaration(ctx, declaration_id)
    return rebates.estimate_declaration(
        declaration_of(ctx.session, row), _export_date(row), rebate_rates(ctx.session)
    )


def sku_rebate(
    ctx: Context, sku_id: str, quantity: int = 1, on: date | None = None
) -> rebates.LineRebate:
    """The rebate on `quantity` units of a SKU bought at its supply price."""
    sku = catalog.visible_sku(ctx, sku_id)  # another tenant's SKU: not found, before all else
    ctx.actor.require("customs.read")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise ValidationFailed.one("quantity", "must be greater than zero")
    if not sku.hs_code:
        raise ValidationFailed.one("sku_id", f"SKU {sku.sku_code} has no confirmed HS code yet")
    return rebates.estimate_sku(
        sku.hs_code,
        sku.supply_price_amount,
        quantity,
        on or today_in_china(ctx.now()),
        rebate_rates(ctx.session),
    )
