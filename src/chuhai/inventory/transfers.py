"""Line-haul transfers: a consignment of cartons from a consolidation warehouse in China to an
overseas warehouse, by sea, air or rail.

    planned → departed → arrived        planned → cancelled

Planning checks that the origin has the stock available now and reserves nothing (stock may
still be sold from China until the truck leaves). Departure posts `transfer_out` at the origin
and `in_transit` at the destination (OutOfStock if the stock went meanwhile), dates the ETA
from data/inventory/line_haul.json, and raises the 9810 export declaration (B2B export to an
overseas warehouse) as a draft through the customs capability, for a broker to check and
submit. Arrival puts away the units counted at the destination (`transfer_in`); units that did
not arrive come out of transit the same way and are then written off as lost in transit, so
the books say what happened and balances still equal the ledger.

The declaration: the platform is the exporter of record (it owns the stock); each line is a
SKU at its CNY supply price; HS codes, descriptions, origin and net weights come from the
catalog; gross weight adds a carton tare per carton. When the catalog lacks what customs
needs (typically a SKU with no confirmed HS code), the transfer still departs: the problem is
kept on the transfer and in its history, and `declare` raises the declaration once the
catalog is complete.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chuhai.catalog import service as catalog
from chuhai.core.auth import Actor, Role
from chuhai.core.context import Context
from chuhai.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from chuhai.core.ids import new_id
from chuhai.core.money import decimal_string
from chuhai.core.pagination import Page, paginate
from chuhai.core.statemachine import StateMachine, Transition
from chuhai.customs import declaration_service as customs
from chuhai.customs.declarations import (
    DeclarationDraft,
    ExporterDraft,
    LineDraft,
    OverseasWarehouse,
)
from chuhai.inventory import ledger
from chuhai.inventory.ledger import Move
from chuhai.inventory.service import (
    history_of,
    move,
    on_hand_where,
    optional_text,
    record_transition,
    required_text,
    whole_number,
)
from chuhai.inventory.tables import (
    InventoryEventRow,
    TransferLineRow,
    TransferRow,
    WarehouseRow,
)
from chuhai.inventory.warehouses import get_warehouse

CHINA = ZoneInfo("Asia/Shanghai")
DOCUMENT = "transfer"
MAX_LINES = 500
MAX_UNITS_PER_LINE = 1_000_000
MAX_CARTONS = 100_000


class State:
    PLANNED = "planned"
    DEPARTED = "departed"
    ARRIVED = "arrived"
    CANCELLED = "cancelled"


ALL_STATES = (State.PLANNED, State.DEPARTED, State.ARRIVED, State.CANCELLED)

TRANSFER = StateMachine(
    "transfer",
    [
        Transition("depart", frozenset({State.PLANNED}), State.DEPARTED, "transfers.manage"),
        Transition("arrive", frozenset({State.DEPARTED}), State.ARRIVED, "transfers.manage"),
        Transition("cancel", frozenset({State.PLANNED}), State.CANCELLED, "transfers.manage"),
    ],
)


# --- the line-haul schedule ---------------------------------------------------------------------


@dataclass(frozen=True)
class LineHaul:
    origin_country: str
    carton_tare_g: int
    days: dict[tuple[str, str], int]  # (mode, destination country) -> transit days
    ports_of_exit: dict[str, dict[str, str]]  # origin warehouse -> mode -> customs district
    exporter: dict[str, str]
    source: str

    @property
    def modes(self) -> tuple[str, ...]:
        return tuple(sorted({mode for mode, _ in self.days}))


@cache
def line_haul() -> LineHaul:
    text = resources.files("chuhai.data").joinpath("inventory/line_haul.json").read_text("utf-8")
    data = json.loads(text)
    return LineHaul(
        origin_country=data["origin_country"],
        carton_tare_g=int(data["carton_tare_g"]),
        days={(r["mode"], r["to"]): int(r["days"]) for r in data["routes"]},
        ports_of_exit={k: v for k, v in data["ports_of_exit"].items() if k != "note"},
        exporter={k: v for k, v in data["exporter"].items() if k != "note"},
        source=data["source"],
    )


MODE_PREFERENCE = ("sea", "rail", "air")  # cheapest first


def preferred_lane(country_code: str) -> tuple[str, int] | None:
    """The cheapest mode with a line-haul lane to the country, and its transit days."""
    days = line_haul().days
    for mode in MODE_PREFERENCE:
        if (mode, country_code) in days:
            return mode, days[(mode, country_code)]
    return None


# --- what callers send --------------------------------------------------------------------------


@dataclass(frozen=True)
class TransferLineDraft:
    sku_id: str
    quantity: int


@dataclass(frozen=True)
class TransferDraft:
    from_warehouse_id: str
    to_warehouse_id: str
    mode: str
    cartons: int
    lines: list[TransferLineDraft]
    note: str = ""


@dataclass(frozen=True)
class ArrivalCount:
    sku_id: str
    received: int


# --- reading ------------------------------------------------------------------------------------


def visible_transfer(ctx: Context, transfer_id: str) -> TransferRow:
    ctx.actor.require("transfers.read")
    row = ctx.session.get(TransferRow, transfer_id)
    if row is None:
        raise NotFound("no such transfer", field="transfer_id")
    return row


def list_transfers(
    ctx: Context,
    *,
    state: str | None = None,
    to_warehouse_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[TransferRow]:
    ctx.actor.require("transfers.read")
    if state and state not in ALL_STATES:
        raise ValidationFailed.one("state", f"one of {', '.join(ALL_STATES)}")
    query = select(TransferRow).order_by(TransferRow.created_at.desc(), TransferRow.id.desc())
    if state:
        query = query.where(TransferRow.state == state)
    if to_warehouse_id:
        query = query.where(TransferRow.to_warehouse_id == to_warehouse_id)
    return paginate(ctx.session, query, limit, offset)


def state_counts(ctx: Context) -> dict[str, int]:
    ctx.actor.require("transfers.read")
    query = select(TransferRow.state, func.count()).group_by(TransferRow.state)
    return {state: int(count) for state, count in ctx.session.execute(query)}


def lines_of(session: Session, transfer_id: str) -> list[TransferLineRow]:
    query = select(TransferLineRow).where(TransferLineRow.transfer_id == transfer_id)
    return list(session.scalars(query.order_by(TransferLineRow.id)))


@dataclass
class TransferView:
    transfer: TransferRow
    origin: WarehouseRow
    destination: WarehouseRow
    lines: list[TransferLineRow]
    history: list[InventoryEventRow]
    sku_codes: dict[str, str]
    declaration: Any | None  # customs' DeclarationRow
    actions: list[str] = field(default_factory=list)


def transfer_view(ctx: Context, transfer_id: str) -> TransferView:
    row = visible_transfer(ctx, transfer_id)
    lines = lines_of(ctx.session, row.id)
    declaration = None
    if row.declaration_id and ctx.actor.can("customs.read"):
        declaration = customs.visible_declaration(ctx, row.declaration_id)
    return TransferView(
        transfer=row,
        origin=ctx.session.get_one(WarehouseRow, row.from_warehouse_id),
        destination=ctx.session.get_one(WarehouseRow, row.to_warehouse_id),
        lines=lines,
        history=history_of(ctx.session, DOCUMENT, row.id),
        sku_codes=catalog.sku_codes(ctx.session, [line.sku_id for line in lines]),
        declaration=declaration,
        actions=available_actions(ctx, row),
    )


def available_actions(ctx: Context, row: TransferRow) -> list[str]:
    actions = [t.action for t in TRANSFER.actions_from(row.state) if ctx.actor.can(t.permission)]
    if _may_declare(row) and ctx.actor.can("transfers.manage"):
        actions.append("declare")
    return actions


def _may_declare(row: TransferRow) -> bool:
    return row.state in (State.DEPARTED, State.ARRIVED) and row.declaration_id is None


# --- planning -----------------------------------------------------------------------------------


def _route_errors(ctx: Context, draft: TransferDraft) -> list[FieldError]:
    errors = []
    origin = destination = None
    try:
        origin = get_warehouse(ctx, draft.from_warehouse_id)
    except NotFound:
        errors.append(FieldError("from_warehouse_id", f"no warehouse {draft.from_warehouse_id!r}"))
    try:
        destination = get_warehouse(ctx, draft.to_warehouse_id)
    except NotFound:
        errors.append(FieldError("to_warehouse_id", f"no warehouse {draft.to_warehouse_id!r}"))
    if origin is not None and (origin.kind != "consolidation" or not origin.active):
        errors.append(
            FieldError("from_warehouse_id", f"{origin.id} is not an active consolidation warehouse")
        )
    if destination is not None and (destination.kind != "overseas" or not destination.active):
        errors.append(
            FieldError("to_warehouse_id", f"{destination.id} is not an active overseas warehouse")
        )
        destination = None  # its route is not the problem
    haul = line_haul()
    if draft.mode not in haul.modes:
        errors.append(FieldError("mode", f"one of {', '.join(haul.modes)}"))
    elif destination is not None and (draft.mode, destination.country_code) not in haul.days:
        errors.append(
            FieldError("mode", f"no {draft.mode} line-haul to {destination.country_code}")
        )
    if not whole_number(draft.cartons) or not 1 <= draft.cartons <= MAX_CARTONS:
        errors.append(FieldError("cartons", f"the number of cartons, 1 to {MAX_CARTONS:,}"))
    return errors


def _line_errors(ctx: Context, draft: TransferDraft) -> list[FieldError]:
    """Each line names a known SKU once, a sane quantity, and no more than the origin has
    available now."""
    if not draft.lines:
        return [FieldError("lines", "send at least one SKU")]
    if len(draft.lines) > MAX_LINES:
        return [FieldError("lines", f"at most {MAX_LINES} lines")]
    errors, codes = [], {}
    for index, line in enumerate(draft.lines):
        where = f"lines[{index}]"
        try:
            codes[line.sku_id] = catalog.visible_sku(ctx, line.sku_id).sku_code
        except NotFound:
            errors.append(FieldError(f"{where}.sku_id", f"no SKU {line.sku_id!r}"))
        if not whole_number(line.quantity) or not 1 <= line.quantity <= MAX_UNITS_PER_LINE:
            errors.append(
                FieldError(f"{where}.quantity", f"at least 1 and at most {MAX_UNITS_PER_LINE:,}")
            )
    if errors:
        return errors
    if len({line.sku_id for line in draft.lines}) != len(draft.lines):
        return [FieldError("lines", "each SKU once; add the quantities up")]
    stock = on_hand_where(ctx.session, draft.from_warehouse_id, list(codes))
    for index, line in enumerate(draft.lines):
        have = stock[line.sku_id].available if line.sku_id in stock else 0
        if line.quantity > have:
            errors.append(
                FieldError(
                    f"lines[{index}].quantity",
                    f"only {have} of {codes[line.sku_id]} available in "
                    f"{draft.from_warehouse_id}, not {line.quantity}",
                )
            )
    return errors


def plan(ctx: Context, draft: TransferDraft) -> TransferRow:
    """Plan a transfer; refused, naming each problem, when the origin lacks the stock."""
    ctx.actor.require("transfers.plan")
    errors = _route_errors(ctx, draft)
    if not any(e.field == "from_warehouse_id" for e in errors):
        errors += _line_errors(ctx, draft)
    note = (draft.note or "").strip()
    if len(note) > 2_000:
        errors.append(FieldError("note", "at most 2,000 characters"))
    if errors:
        raise ValidationFailed(errors)
    now = ctx.now()
    row = TransferRow(
        id=new_id("trf"),
        from_warehouse_id=draft.from_warehouse_id,
        to_warehouse_id=draft.to_warehouse_id,
        mode=draft.mode,
        state=State.PLANNED,
        cartons=draft.cartons,
        note=note,
        created_by=ctx.actor.user_id,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(row)
    ctx.session.flush()
    for line in draft.lines:
        ctx.session.add(
            TransferLineRow(
                id=new_id("trl"), transfer_id=row.id, sku_id=line.sku_id, quantity=line.quantity
            )
        )
    record_transition(ctx, DOCUMENT, row.id, "plan", None, State.PLANNED, note)
    ctx.session.flush()
    return row


# --- moving -------------------------------------------------------------------------------------


def _move(
    ctx: Context,
    row: TransferRow,
    action: str,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    move(ctx, TRANSFER, DOCUMENT, row, action, reason, details)


def _allowed(ctx: Context, row: TransferRow, action: str) -> None:
    ctx.actor.require(TRANSFER.transition(row.state, action).permission)


def cancel(ctx: Context, transfer_id: str, reason: str) -> TransferRow:
    row = visible_transfer(ctx, transfer_id)
    _allowed(ctx, row, "cancel")
    _move(ctx, row, "cancel", required_text("reason", reason, "say why the transfer is cancelled"))
    return row


def eta_of(departed_on: date, mode: str, destination_country: str) -> date:
    return departed_on + timedelta(days=line_haul().days[(mode, destination_country)])


def depart(ctx: Context, transfer_id: str, note: str = "") -> TransferRow:
    """The consignment leaves: stock moves from the origin's shelf into transit towards the
    destination, the ETA is set, and the 9810 declaration is raised."""
    row = visible_transfer(ctx, transfer_id)
    _allowed(ctx, row, "depart")
    lines = lines_of(ctx.session, row.id)
    moves = []
    for line in lines:
        moves.append(Move("transfer_out", line.sku_id, row.from_warehouse_id, line.quantity))
        moves.append(Move("in_transit", line.sku_id, row.to_warehouse_id, line.quantity))
    ledger.post(
        ctx, moves, document_type=DOCUMENT, document_id=row.id, reason=f"{row.mode} line-haul"
    )
    destination = ctx.session.get_one(WarehouseRow, row.to_warehouse_id)
    now = ctx.now()
    row.departed_at = now
    row.eta = eta_of(now.astimezone(CHINA).date(), row.mode, destination.country_code)
    problem = _raise_declaration(ctx, row, lines, destination)
    details = {"eta": row.eta.isoformat(), "declaration_id": row.declaration_id}
    if problem:
        details["declaration_problem"] = problem
    _move(ctx, row, "depart", optional_text("note", note), details)
    return row


def declare(ctx: Context, transfer_id: str) -> TransferRow:
    """Raise the 9810 declaration of a departed transfer that left without one (the catalog
    lacked something customs needs); a Conflict while it still does, naming what."""
    row = visible_transfer(ctx, transfer_id)
    ctx.actor.require("transfers.manage")
    if not _may_declare(row):
        state = "already has its declaration" if row.declaration_id else f"is {row.state}"
        raise Conflict(f"this transfer {state}", current_state=row.state, action="declare")
    destination = ctx.session.get_one(WarehouseRow, row.to_warehouse_id)
    problem = _raise_declaration(ctx, row, lines_of(ctx.session, row.id), destination)
    if problem:
        raise Conflict(f"the 9810 declaration cannot be raised yet: {problem}", field="lines")
    record_transition(
        ctx,
        DOCUMENT,
        row.id,
        "declare",
        row.state,
        row.state,
        "9810 declaration raised",
        {"declaration_id": row.declaration_id},
    )
    row.updated_at = ctx.now()
    return row


def arrive(
    ctx: Context, transfer_id: str, counts: list[ArrivalCount] | None = None, note: str = ""
) -> TransferRow:
    """The consignment arrives and is counted. Without counts every line arrived in full; a
    line not counted arrived in full. Units that did not arrive are written off as lost in
    transit."""
    row = visible_transfer(ctx, transfer_id)
    _allowed(ctx, row, "arrive")
    lines = {line.sku_id: line for line in lines_of(ctx.session, row.id)}
    codes = catalog.sku_codes(ctx.session, list(lines))
    received = _arrival_counts(counts or [], lines, codes)
    moves, lost = [], {}
    for sku_id, line in lines.items():
        line.received = received.get(sku_id, line.quantity)
        missing = line.quantity - line.received
        moves.append(Move("transfer_in", sku_id, row.to_warehouse_id, line.quantity))
        if missing:
            moves.append(Move("write_off", sku_id, row.to_warehouse_id, missing))
            lost[codes.get(sku_id, sku_id)] = missing
    why = f"{row.mode} line-haul arrived" + (
        "; lost in transit: " + ", ".join(f"{n} × {code}" for code, n in lost.items())
        if lost
        else ""
    )
    ledger.post(ctx, moves, document_type=DOCUMENT, document_id=row.id, reason=why)
    row.arrived_at = ctx.now()
    _move(ctx, row, "arrive", optional_text("note", note), {"lost_in_transit": lost})
    return row


def _arrival_counts(
    counts: list[ArrivalCount], lines: dict[str, TransferLineRow], codes: dict[str, str]
) -> dict[str, int]:
    errors, received = [], {}
    for index, count in enumerate(counts):
        where = f"lines[{index}]"
        line = lines.get(count.sku_id)
        if line is None:
            errors.append(
                FieldError(f"{where}.sku_id", f"SKU {count.sku_id!r} is not on this transfer")
            )
        elif count.sku_id in received:
            errors.append(
                FieldError(f"{where}.sku_id", f"{codes.get(count.sku_id)} is counted twice")
            )
        elif not whole_number(count.received) or count.received < 0:
            errors.append(FieldError(f"{where}.received", "a whole number, not negative"))
        elif count.received > line.quantity:
            errors.append(
                FieldError(
                    f"{where}.received",
                    f"{count.received} units of {codes.get(count.sku_id)} counted, but only "
                    f"{line.quantity} were sent",
                )
            )
        else:
            received[count.sku_id] = count.received
    if errors:
        raise ValidationFailed(errors)
    return received


# --- the 9810 declaration -----------------------------------------------------------------------


def _declarant(ctx: Context) -> Context:
    """The same person, acting as the platform's declarant for this one draft: the transfer's
    departure is what raises the declaration, whoever presses the button. Customs staff check
    and submit it; the draft records who caused it."""
    actor = ctx.actor
    declarant = Actor(
        user_id=actor.user_id,
        username=actor.username,
        roles=frozenset({Role.CUSTOMS}),
        display_name=f"{actor.display_name or actor.username} (line-haul departure)",
    )
    return replace(ctx, actor=declarant)


def declaration_draft(
    ctx: Context, row: TransferRow, lines: list[TransferLineRow], destination: WarehouseRow
) -> DeclarationDraft:
    """The 9810 declaration of a transfer, from what the catalog knows of its SKUs."""
    haul = line_haul()
    exporter = haul.exporter
    skus = {line.sku_id: catalog.visible_sku(ctx, line.sku_id) for line in lines}
    net_g = sum(skus[line.sku_id].weight_g * line.quantity for line in lines)
    return DeclarationDraft(
        mode="9810",
        exporter=ExporterDraft(
            kind="platform",
            customs_code=exporter["customs_code"],
            name=exporter["name"],
            name_en=exporter["name_en"],
            credit_code=exporter["credit_code"],
            address=exporter["address"],
        ),
        currency="CNY",
        destination_country=destination.country_code,
        transport_mode=row.mode,
        port_of_exit=haul.ports_of_exit.get(row.from_warehouse_id, {}).get(row.mode, ""),
        lines=[
            LineDraft(
                quantity=line.quantity,
                unit_price=decimal_string(skus[line.sku_id].supply_price_amount, "CNY"),
                currency="CNY",
                sku_id=line.sku_id,
            )
            for line in lines
        ],
        gross_weight_g=net_g + row.cartons * haul.carton_tare_g,
        packages=row.cartons,
        overseas_warehouse=OverseasWarehouse(
            code=destination.id, name=destination.name, country=destination.country_code
        ),
    )


def _raise_declaration(
    ctx: Context, row: TransferRow, lines: list[TransferLineRow], destination: WarehouseRow
) -> str:
    """Create the draft declaration and keep its id; on a refusal keep the reason instead
    (returned) and write nothing of the declaration."""
    declarant = _declarant(ctx)
    unclassified = [
        sku.sku_code
        for sku in (catalog.visible_sku(declarant, line.sku_id) for line in lines)
        if not sku.hs_code
    ]
    if unclassified:
        row.declaration_problem = (
            f"{len(unclassified)} of {len(lines)} SKU(s) have no confirmed HS code yet "
            f"({_some(unclassified)}): customs staff classify them, then raise the declaration"
        )
        return row.declaration_problem
    try:
        with ctx.session.begin_nested():
            declaration = customs.create_declaration(
                declarant, declaration_draft(declarant, row, lines, destination)
            )
    except ValidationFailed as refused:
        problems = [f"{e.field}: {e.message}" for e in refused.errors]
        row.declaration_problem = _some(problems, sep="; ")
        return row.declaration_problem
    row.declaration_id = declaration.id
    row.declaration_problem = ""
    return ""


def _some(items: list[str], shown: int = 5, sep: str = ", ") -> str:
    more = f"{sep}and {len(items) - shown} more" if len(items) > shown else ""
    return sep.join(items[:shown]) + more


def in_transit_to(ctx: Context, warehouse_id: str) -> list[TransferRow]:
    """Departed transfers on their way to a warehouse, soonest first."""
    ctx.actor.require("transfers.read")
    query = (
        select(TransferRow)
        .where(TransferRow.to_warehouse_id == warehouse_id, TransferRow.state == State.DEPARTED)
        .order_by(TransferRow.eta, TransferRow.id)
    )
    return list(ctx.session.scalars(query))
