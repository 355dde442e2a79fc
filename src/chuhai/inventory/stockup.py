"""Stock-up orders (备货单): the platform orders stock from a supplier, the supplier delivers
it to a consolidation warehouse, the warehouse counts and checks it.

Two kinds: **jit** (the supplier delivers within `jit_hours` of the order) and **planned**
(by a due date, the end of that day in China). The life of an order:

    issued → confirmed | declined            the supplier answers
    confirmed → shipped                      the supplier books the delivery: an advance
                                             shipping notice of cartons (SKU and units each)
    shipped → received                       logistics counts each line, QC-samples it,
                                             notes discrepancies; the stock is booked
    received → closed                        the platform closes it after review
    issued | confirmed → cancelled           the platform withdraws it
    issued | confirmed → expired             not shipped `stockup_expiry_days` after due

Quantities: a notice may carry fewer units than ordered (the rest is short, and a short
delivery is penalised) but never more than ordered, and never a SKU not on the order; the
count may find fewer units than shipped but never more (a surplus is refused: the dock sends
it back or the platform orders it). Receipt posts `receipt` of the counted units, `qc_reject`
of the failed ones and `put_away` of the rest, and records the penalties the delivery earned.

Tenancy: a supplier's users see and answer only their own supplier's orders; another's id
answers 404 before any permission check. Every move is stored in `inventory_history`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from chuhai.catalog import service as catalog
from chuhai.catalog.model import State as ProductState
from chuhai.core import events, jobs
from chuhai.core.context import Context
from chuhai.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from chuhai.core.ids import new_id
from chuhai.core.pagination import Page, paginate
from chuhai.core.statemachine import StateMachine, Transition
from chuhai.inventory import labels, ledger, penalties
from chuhai.inventory.ledger import Move
from chuhai.inventory.service import (
    history_of,
    move,
    optional_text,
    record_transition,
    required_text,
    whole_number,
)
from chuhai.inventory.tables import (
    InventoryEventRow,
    PenaltyRow,
    StockUpCartonRow,
    StockUpLineRow,
    StockUpOrderRow,
    WarehouseRow,
)
from chuhai.inventory.warehouses import get_warehouse
from chuhai.parties import service as parties

CHINA = ZoneInfo("Asia/Shanghai")
DOCUMENT = "stock_up"
KINDS = ("jit", "planned")
ORDERABLE = (ProductState.APPROVED, ProductState.LISTED)
MAX_LINES = 200
MAX_UNITS_PER_LINE = 100_000
MAX_JIT_HOURS = 30 * 24
MAX_PLANNED_DAYS = 366
MAX_CARTONS = 2_000
MAX_UNITS_PER_CARTON = 10_000
MAX_CARTON_WEIGHT_G = 100_000  # one person's lift is far less; a pallet is not a carton
EXPIRE_JOB = "inventory.expire_stock_up_orders"


class State:
    ISSUED = "issued"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    SHIPPED = "shipped"
    RECEIVED = "received"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


OPEN_STATES = (State.ISSUED, State.CONFIRMED)
ALL_STATES = (
    State.ISSUED,
    State.CONFIRMED,
    State.SHIPPED,
    State.RECEIVED,
    State.CLOSED,
    State.DECLINED,
    State.CANCELLED,
    State.EXPIRED,
)

STOCK_UP = StateMachine(
    "stock-up order",
    [
        Transition("confirm", frozenset({State.ISSUED}), State.CONFIRMED, "stockup.respond"),
        Transition("decline", frozenset({State.ISSUED}), State.DECLINED, "stockup.respond"),
        Transition("ship", frozenset({State.CONFIRMED}), State.SHIPPED, "stockup.respond"),
        Transition("receive", frozenset({State.SHIPPED}), State.RECEIVED, "stockup.receive"),
        Transition("close", frozenset({State.RECEIVED}), State.CLOSED, "stockup.issue"),
        Transition("cancel", frozenset(OPEN_STATES), State.CANCELLED, "stockup.issue"),
        Transition("expire", frozenset(OPEN_STATES), State.EXPIRED, "stockup.issue"),
    ],
)


# --- what callers send --------------------------------------------------------------------------


@dataclass(frozen=True)
class LineDraft:
    sku_id: str
    quantity: int


@dataclass(frozen=True)
class StockUpDraft:
    supplier_id: str
    warehouse_id: str
    kind: str
    lines: list[LineDraft]
    jit_hours: int | None = None  # jit
    due_on: date | None = None  # planned: delivered by the end of this day, China time
    note: str = ""


@dataclass(frozen=True)
class CartonDraft:
    sku_id: str
    units: int
    weight_g: int | None = None


@dataclass(frozen=True)
class LineCount:
    """What the dock counted of one line: units received, how many were QC-sampled and how
    many of those failed, and anything to say about the difference."""

    sku_id: str
    received: int
    qc_sampled: int = 0
    qc_failed: int = 0
    discrepancy: str = ""


# --- reading ------------------------------------------------------------------------------------


def visible_order(ctx: Context, order_id: str) -> StockUpOrderRow:
    """The order if the actor may see it; NotFound for a missing or another supplier's id."""
    ctx.actor.require("stockup.read")
    row = ctx.session.get(StockUpOrderRow, order_id)
    if row is None or (not ctx.actor.is_operator and row.supplier_id != ctx.actor.supplier_id):
        raise NotFound("no such stock-up order", field="stock_up_order_id")
    return row


def list_orders(
    ctx: Context,
    *,
    state: str | None = None,
    supplier_id: str | None = None,
    warehouse_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[StockUpOrderRow]:
    """Orders, newest first; a supplier's user sees only its own supplier's."""
    ctx.actor.require("stockup.read")
    if state and state not in ALL_STATES:
        raise ValidationFailed.one("state", f"one of {', '.join(ALL_STATES)}")
    query = select(StockUpOrderRow).order_by(
        StockUpOrderRow.created_at.desc(), StockUpOrderRow.id.desc()
    )
    if not ctx.actor.is_operator:
        query = query.where(StockUpOrderRow.supplier_id == ctx.actor.supplier_id)
    if supplier_id:
        query = query.where(StockUpOrderRow.supplier_id == supplier_id)
    if warehouse_id:
        query = query.where(StockUpOrderRow.warehouse_id == warehouse_id)
    if state:
        query = query.where(StockUpOrderRow.state == state)
    return paginate(ctx.session, query, limit, offset)


def state_counts(ctx: Context) -> dict[str, int]:
    from sqlalchemy import func

    ctx.actor.require("stockup.read")
    query = select(StockUpOrderRow.state, func.count()).group_by(StockUpOrderRow.state)
    if not ctx.actor.is_operator:
        query = query.where(StockUpOrderRow.supplier_id == ctx.actor.supplier_id)
    return {state: int(count) for state, count in ctx.session.execute(query)}


def lines_of(session: Session, order_id: str) -> list[StockUpLineRow]:
    query = select(StockUpLineRow).where(StockUpLineRow.order_id == order_id)
    return list(session.scalars(query.order_by(StockUpLineRow.id)))


def cartons_of(session: Session, order_id: str) -> list[StockUpCartonRow]:
    query = select(StockUpCartonRow).where(StockUpCartonRow.order_id == order_id)
    return list(session.scalars(query.order_by(StockUpCartonRow.sequence)))


def order_value(lines: list[StockUpLineRow]) -> int:
    """What the order is worth at the agreed supply prices, in fen."""
    return sum(line.quantity * line.unit_price for line in lines)


@dataclass
class StockUpView:
    order: StockUpOrderRow
    supplier: Any  # parties' SupplierRow
    warehouse: WarehouseRow
    lines: list[StockUpLineRow]
    cartons: list[StockUpCartonRow]
    history: list[InventoryEventRow]
    penalties: list[PenaltyRow]
    sku_codes: dict[str, str]
    value: int
    actions: list[str] = field(default_factory=list)


def order_view(ctx: Context, order_id: str) -> StockUpView:
    row = visible_order(ctx, order_id)
    lines = lines_of(ctx.session, row.id)
    return StockUpView(
        order=row,
        supplier=parties.supplier_of(ctx.session, row.supplier_id),
        warehouse=ctx.session.get_one(WarehouseRow, row.warehouse_id),
        lines=lines,
        cartons=cartons_of(ctx.session, row.id),
        history=history_of(ctx.session, DOCUMENT, row.id),
        penalties=penalties.penalties_of(ctx, unsettled=False, stock_up_order_id=row.id),
        sku_codes=catalog.sku_codes(ctx.session, [line.sku_id for line in lines]),
        value=order_value(lines),
        actions=available_actions(ctx, row),
    )


def available_actions(ctx: Context, row: StockUpOrderRow) -> list[str]:
    """What the actor may do to the order now (doors show these as buttons)."""
    return [
        t.action
        for t in STOCK_UP.actions_from(row.state)
        if t.action != "expire" and ctx.actor.can(t.permission)
    ]


def orderable_skus(ctx: Context, supplier_id: str) -> list[tuple[Any, Any]]:
    """(product, SKU) of every approved or listed product of the supplier: what may be
    ordered from it."""
    ctx.actor.require("stockup.issue")
    found = []
    for state in ORDERABLE:
        offset = 0
        while True:
            page = catalog.list_products(
                ctx, state=state, supplier_id=supplier_id, limit=200, offset=offset
            )
            for product in page.items:
                found += [(product, sku) for sku in catalog.skus_of(ctx.session, product.id)]
            offset += 200
            if offset >= page.total:
                break
    return sorted(found, key=lambda pair: pair[1].sku_code)


# --- issuing ------------------------------------------------------------------------------------


def _due_at(ctx: Context, draft: StockUpDraft) -> tuple[datetime | None, list[FieldError]]:
    now = ctx.now()
    if draft.kind == "jit":
        hours = draft.jit_hours
        if draft.due_on is not None:
            return None, [FieldError("due_on", "a JIT order is due jit_hours after issue")]
        if not whole_number(hours) or not 1 <= hours <= MAX_JIT_HOURS:  # type: ignore[operator]
            return None, [
                FieldError("jit_hours", f"the hours the supplier has, 1 to {MAX_JIT_HOURS}")
            ]
        return now + timedelta(hours=hours), []  # type: ignore[arg-type]
    if draft.kind == "planned":
        if draft.jit_hours is not None:
            return None, [FieldError("jit_hours", "only a JIT order has jit_hours")]
        if not isinstance(draft.due_on, date) or isinstance(draft.due_on, datetime):
            return None, [FieldError("due_on", "the date the stock is due, e.g. 2026-04-30")]
        today = now.astimezone(CHINA).date()
        if not today <= draft.due_on <= today + timedelta(days=MAX_PLANNED_DAYS):
            return None, [
                FieldError("due_on", f"between today ({today}) and {MAX_PLANNED_DAYS} days ahead")
            ]
        end_of_day = datetime.combine(draft.due_on + timedelta(days=1), time(), tzinfo=CHINA)
        return end_of_day.astimezone(now.tzinfo), []
    return None, [FieldError("kind", f"one of {', '.join(KINDS)}")]


def _check_supplier(ctx: Context, supplier_id: str) -> list[FieldError]:
    try:
        supplier = parties.visible_supplier(ctx, supplier_id)
    except NotFound:
        return [FieldError("supplier_id", f"no supplier {supplier_id!r}")]
    if supplier.status != "verified":
        return [FieldError("supplier_id", f"supplier {supplier.code} is {supplier.status}")]
    return []


def _check_warehouse(ctx: Context, warehouse_id: str) -> list[FieldError]:
    try:
        warehouse = get_warehouse(ctx, warehouse_id)
    except NotFound:
        return [FieldError("warehouse_id", f"no warehouse {warehouse_id!r}")]
    if warehouse.kind != "consolidation":
        return [
            FieldError(
                "warehouse_id",
                f"{warehouse.id} is an overseas warehouse; suppliers deliver to a "
                "consolidation warehouse in China",
            )
        ]
    if not warehouse.active:
        return [FieldError("warehouse_id", f"{warehouse.id} is not active")]
    return []


def _priced_lines(
    ctx: Context, supplier_id: str, drafts: list[LineDraft]
) -> tuple[list[tuple[str, int, int]], list[FieldError]]:
    """(SKU id, quantity, unit price in fen) per line, or the errors naming each bad line."""
    if not drafts:
        return [], [FieldError("lines", "order at least one SKU")]
    if len(drafts) > MAX_LINES:
        return [], [FieldError("lines", f"at most {MAX_LINES} lines")]
    priced, errors = [], []
    seen: set[str] = set()
    for index, line in enumerate(drafts):
        where = f"lines[{index}]"
        if not whole_number(line.quantity) or not 1 <= line.quantity <= MAX_UNITS_PER_LINE:
            errors.append(
                FieldError(f"{where}.quantity", f"at least 1 and at most {MAX_UNITS_PER_LINE:,}")
            )
        problem, price = _sku_problem(ctx, supplier_id, line.sku_id, seen)
        if problem:
            errors.append(FieldError(f"{where}.sku_id", problem))
        seen.add(line.sku_id)
        priced.append((line.sku_id, line.quantity, price))
    return priced, errors


def _sku_problem(
    ctx: Context, supplier_id: str, sku_id: str, seen: set[str]
) -> tuple[str | None, int]:
    """Why the SKU may not be ordered from this supplier (None if it may), and its price."""
    try:
        sku = catalog.visible_sku(ctx, sku_id)
    except NotFound:
        return f"no SKU {sku_id!r}", 0
    if sku_id in seen:
        return f"SKU {sku.sku_code} is on the order twice; give it one line", 0
    if sku.supplier_id != supplier_id:
        return f"SKU {sku.sku_code} belongs to another supplier", 0
    product = catalog.visible_product(ctx, sku.product_id)
    if product.state not in ORDERABLE:
        return f"SKU {sku.sku_code} is not approved for sale (its product is {product.state})", 0
    if sku.supply_price_currency != "CNY":
        return f"SKU {sku.sku_code} has no CNY supply price", 0
    return None, sku.supply_price_amount


def issue(ctx: Context, draft: StockUpDraft) -> StockUpOrderRow:
    """Issue a stock-up order; every problem is named at once and nothing is written."""
    ctx.actor.require("stockup.issue")
    due_at, errors = _due_at(ctx, draft)
    errors = _check_supplier(ctx, draft.supplier_id) + errors
    errors += _check_warehouse(ctx, draft.warehouse_id)
    priced, line_errors = _priced_lines(ctx, draft.supplier_id, list(draft.lines))
    errors += line_errors
    note = (draft.note or "").strip()
    if len(note) > 2_000:
        errors.append(FieldError("note", "at most 2,000 characters"))
    if errors or due_at is None:
        raise ValidationFailed(errors)
    now = ctx.now()
    row = StockUpOrderRow(
        id=new_id("suo"),
        supplier_id=draft.supplier_id,
        warehouse_id=draft.warehouse_id,
        kind=draft.kind,
        state=State.ISSUED,
        jit_hours=draft.jit_hours if draft.kind == "jit" else None,
        due_at=due_at,
        expires_at=due_at + timedelta(days=ctx.settings.stockup_expiry_days),
        note=note,
        created_by=ctx.actor.user_id,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(row)
    ctx.session.flush()
    for sku_id, quantity, price in priced:
        ctx.session.add(
            StockUpLineRow(
                id=new_id("sul"),
                order_id=row.id,
                sku_id=sku_id,
                quantity=quantity,
                unit_price=price,
            )
        )
    record_transition(ctx, DOCUMENT, row.id, "issue", None, State.ISSUED, note)
    ctx.session.flush()
    return row


# --- moving through the life of an order ---------------------------------------------------------


def _move(
    ctx: Context,
    row: StockUpOrderRow,
    action: str,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    move(ctx, STOCK_UP, DOCUMENT, row, action, reason, details)


def _allowed(ctx: Context, row: StockUpOrderRow, action: str) -> None:
    """409 for the wrong state, 403 for the wrong role, before any input is looked at."""
    ctx.actor.require(STOCK_UP.transition(row.state, action).permission)


def confirm(ctx: Context, order_id: str, note: str = "") -> StockUpOrderRow:
    """The supplier accepts the order and its due time."""
    row = visible_order(ctx, order_id)
    _allowed(ctx, row, "confirm")
    _move(ctx, row, "confirm", optional_text("note", note))
    return row


def decline(ctx: Context, order_id: str, reason: str) -> StockUpOrderRow:
    """The supplier cannot take the order, and says why."""
    row = visible_order(ctx, order_id)
    _allowed(ctx, row, "decline")
    why = required_text("reason", reason, "say why the order is declined")
    row.decline_reason = why
    _move(ctx, row, "decline", why)
    return row


def cancel(ctx: Context, order_id: str, reason: str) -> StockUpOrderRow:
    """The platform withdraws an order the supplier has not shipped."""
    row = visible_order(ctx, order_id)
    _allowed(ctx, row, "cancel")
    _move(ctx, row, "cancel", required_text("reason", reason, "say why the order is cancelled"))
    return row


def close(ctx: Context, order_id: str, note: str = "") -> StockUpOrderRow:
    """The platform has reviewed the receipt and its penalties: nothing more will happen."""
    row = visible_order(ctx, order_id)
    _allowed(ctx, row, "close")
    _move(ctx, row, "close", optional_text("note", note))
    return row


# --- the supplier books the delivery ------------------------------------------------------------


def _carton_errors(
    cartons: list[CartonDraft], ordered: dict[str, int], codes: dict[str, str]
) -> list[FieldError]:
    if not cartons:
        return [FieldError("cartons", "list the cartons of the delivery, at least one")]
    if len(cartons) > MAX_CARTONS:
        return [FieldError("cartons", f"at most {MAX_CARTONS:,} cartons on one notice")]
    errors = []
    for index, carton in enumerate(cartons):
        where = f"cartons[{index}]"
        if carton.sku_id not in ordered:
            errors.append(
                FieldError(f"{where}.sku_id", f"SKU {carton.sku_id!r} is not on this order")
            )
        if not whole_number(carton.units) or not 1 <= carton.units <= MAX_UNITS_PER_CARTON:
            errors.append(
                FieldError(f"{where}.units", f"at least 1 and at most {MAX_UNITS_PER_CARTON:,}")
            )
        weight = carton.weight_g
        if weight is not None and (
            not whole_number(weight) or not 1 <= weight <= MAX_CARTON_WEIGHT_G
        ):
            errors.append(
                FieldError(
                    f"{where}.weight_g", f"grams, 1 to {MAX_CARTON_WEIGHT_G:,}, or leave out"
                )
            )
    if errors:
        return errors
    shipped = Counter[str]()
    for carton in cartons:
        shipped[carton.sku_id] += carton.units
    return [
        FieldError(
            "cartons",
            f"{units} units of {codes.get(sku, sku)} on the notice, but only {ordered[sku]} "
            "ordered: ship at most what was ordered",
        )
        for sku, units in shipped.items()
        if units > ordered[sku]
    ]


def carton_barcode(order_id: str, sequence: int) -> str:
    """Short enough for a Code 39 barcode on a 100 mm label, unique per order and carton:
    the last eight characters of the order id are random."""
    return f"SU{order_id[-8:].upper()}-{sequence:03d}"


def ship(
    ctx: Context,
    order_id: str,
    cartons: list[CartonDraft],
    *,
    carrier: str = "",
    tracking_number: str = "",
    note: str = "",
) -> StockUpOrderRow:
    """The supplier's advance shipping notice: the cartons it sends, each one SKU and its
    units. Fewer units than ordered is allowed (the rest is short); more is refused."""
    row = visible_order(ctx, order_id)
    _allowed(ctx, row, "ship")
    lines = lines_of(ctx.session, row.id)
    ordered = {line.sku_id: line.quantity for line in lines}
    codes = catalog.sku_codes(ctx.session, list(ordered))
    errors = _carton_errors(list(cartons), ordered, codes)
    carrier_text, tracking = (carrier or "").strip(), (tracking_number or "").strip()
    for name, value in (("carrier", carrier_text), ("tracking_number", tracking)):
        if len(value) > 100:
            errors.append(FieldError(name, "at most 100 characters"))
    if errors:
        raise ValidationFailed(errors)
    shipped = Counter[str]()
    for sequence, carton in enumerate(cartons, start=1):
        shipped[carton.sku_id] += carton.units
        ctx.session.add(
            StockUpCartonRow(
                id=new_id("suc"),
                order_id=row.id,
                barcode=carton_barcode(row.id, sequence),
                sequence=sequence,
                sku_id=carton.sku_id,
                units=carton.units,
                weight_g=carton.weight_g,
            )
        )
    for line in lines:
        line.shipped = shipped[line.sku_id]
    row.carrier, row.tracking_number, row.shipped_at = carrier_text, tracking, ctx.now()
    short = {codes.get(line.sku_id, line.sku_id): line.quantity - line.shipped for line in lines}
    _move(
        ctx,
        row,
        "ship",
        optional_text("note", note),
        {
            "cartons": len(cartons),
            "units": sum(shipped.values()),
            "short": {code: units for code, units in short.items() if units > 0},
        },
    )
    return row


def labels_pdf(ctx: Context, order_id: str) -> tuple[str, bytes]:
    """The carton labels of the booked delivery (one per carton) and their file name."""
    row = visible_order(ctx, order_id)
    cartons = cartons_of(ctx.session, row.id)
    if not cartons:
        raise Conflict(
            f"no delivery is booked on this order yet (it is {row.state}): "
            "book the delivery with its cartons first",
            current_state=row.state,
        )
    supplier = parties.supplier_of(ctx.session, row.supplier_id)
    warehouse = ctx.session.get_one(WarehouseRow, row.warehouse_id)
    codes = catalog.sku_codes(ctx.session, [c.sku_id for c in cartons])
    due = row.due_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M China time")
    printable = [
        labels.CartonLabel(
            order_id=row.id,
            sequence=carton.sequence,
            cartons=len(cartons),
            supplier=f"{supplier.legal_name_en or supplier.code} ({supplier.code})",
            sku_code=codes.get(carton.sku_id, carton.sku_id),
            units=carton.units,
            warehouse=f"{warehouse.id} {warehouse.name}, {warehouse.city}",
            barcode=carton.barcode,
            due=due,
        )
        for carton in cartons
    ]
    printed = row.shipped_at or row.updated_at
    return f"carton-labels-{row.id}.pdf", labels.carton_labels_pdf(printable, printed)


# --- the warehouse receives it ------------------------------------------------------------------


def _count_errors(
    counts: list[LineCount], lines: dict[str, StockUpLineRow], codes: dict[str, str]
) -> list[FieldError]:
    errors = []
    seen: set[str] = set()
    for index, count in enumerate(counts):
        where = f"lines[{index}]"
        line = lines.get(count.sku_id)
        if line is None:
            errors.append(
                FieldError(f"{where}.sku_id", f"SKU {count.sku_id!r} is not on this order")
            )
            continue
        code = codes.get(line.sku_id, line.sku_id)
        if count.sku_id in seen:
            errors.append(FieldError(f"{where}.sku_id", f"{code} is counted twice"))
        seen.add(count.sku_id)
        errors += _count_line_errors(where, code, count, line)
    return errors


def _count_line_errors(
    where: str, code: str, count: LineCount, line: StockUpLineRow
) -> list[FieldError]:
    numbers = {
        "received": count.received,
        "qc_sampled": count.qc_sampled,
        "qc_failed": count.qc_failed,
    }
    bad = [name for name, value in numbers.items() if not whole_number(value) or value < 0]
    if bad:
        return [FieldError(f"{where}.{name}", "a whole number, not negative") for name in bad]
    if count.received > line.shipped:
        return [
            FieldError(
                f"{where}.received",
                f"{count.received} units of {code} counted, but the notice shipped only "
                f"{line.shipped}: refuse the surplus at the dock",
            )
        ]
    if count.qc_sampled > count.received:
        return [FieldError(f"{where}.qc_sampled", f"at most the {count.received} received")]
    if count.qc_failed > count.qc_sampled:
        return [FieldError(f"{where}.qc_failed", f"at most the {count.qc_sampled} sampled")]
    if len(count.discrepancy.strip()) > 2_000:
        return [FieldError(f"{where}.discrepancy", "at most 2,000 characters")]
    return []


def _discrepancy(line: StockUpLineRow, count: LineCount | None) -> str:
    found = []
    if line.shipped < line.quantity:
        found.append(f"shipped {line.shipped} of {line.quantity} ordered")
    if line.received < line.shipped:
        found.append(f"received {line.received} of {line.shipped} shipped")
    if line.qc_failed:
        found.append(f"{line.qc_failed} of {line.qc_sampled} sampled failed QC")
    if count is not None and count.discrepancy.strip():
        found.append(count.discrepancy.strip())
    return "; ".join(found)


def receive(
    ctx: Context, order_id: str, counts: list[LineCount], note: str = ""
) -> StockUpOrderRow:
    """Book what the dock counted: receipt of the counted units, rejection of those failing
    QC, put-away of the rest; record the penalties the delivery earned. A line not counted
    received nothing."""
    row = visible_order(ctx, order_id)
    _allowed(ctx, row, "receive")
    lines = {line.sku_id: line for line in lines_of(ctx.session, row.id)}
    codes = catalog.sku_codes(ctx.session, list(lines))
    errors = _count_errors(list(counts), lines, codes)
    if errors:
        raise ValidationFailed(errors)
    by_sku = {count.sku_id: count for count in counts}
    moves = []
    for line in lines.values():
        count = by_sku.get(line.sku_id)
        line.received = count.received if count else 0
        line.qc_sampled = count.qc_sampled if count else 0
        line.qc_failed = count.qc_failed if count else 0
        line.accepted = line.received - line.qc_failed
        line.discrepancy = _discrepancy(line, count)
        moves += _receipt_moves(line, row.warehouse_id)
    if moves:
        ledger.post(
            ctx, moves, document_type=DOCUMENT, document_id=row.id, reason=f"received {row.id}"
        )
    row.received_at = ctx.now()
    events.publish(
        ctx,
        "stock_up.received",
        order_id=row.id,
        supplier_id=row.supplier_id,
        warehouse_id=row.warehouse_id,
        currency="CNY",
        # the supplier is owed for what passed QC, at the agreed supply price (fen)
        amount=sum(line.accepted * line.unit_price for line in lines.values()),
        accepted=sum(line.accepted for line in lines.values()),
    )
    earned = _record_penalties(ctx, row, list(lines.values()), codes)
    _move(
        ctx,
        row,
        "receive",
        optional_text("note", note),
        {
            "received": sum(line.received for line in lines.values()),
            "accepted": sum(line.accepted for line in lines.values()),
            "penalties": {p.kind: p.amount for p in earned},
        },
    )
    return row


def _receipt_moves(line: StockUpLineRow, warehouse_id: str) -> list[Move]:
    moves = []
    for kind, units in (
        ("receipt", line.received),
        ("qc_reject", line.qc_failed),
        ("put_away", line.accepted),
    ):
        if units > 0:
            moves.append(Move(kind, line.sku_id, warehouse_id, units))
    return moves


def _record_penalties(
    ctx: Context, row: StockUpOrderRow, lines: list[StockUpLineRow], codes: dict[str, str]
) -> list[PenaltyRow]:
    assessed = penalties.assess(
        due_at=row.due_at,
        received_at=ctx.now(),
        lines=[
            penalties.DeliveredLine(
                sku_code=codes.get(line.sku_id, line.sku_id),
                ordered=line.quantity,
                unit_price=line.unit_price,
                received=line.received,
                qc_failed=line.qc_failed,
            )
            for line in lines
        ],
        rules=penalties.packaged_rules(),
    )
    return penalties.record(
        ctx, supplier_id=row.supplier_id, stock_up_order_id=row.id, assessed=assessed
    )


# --- expiry -------------------------------------------------------------------------------------


def expire_overdue(ctx: Context) -> list[StockUpOrderRow]:
    """Expire every order still unshipped `stockup_expiry_days` after its due time."""
    ctx.actor.require("stockup.issue")
    now = ctx.now()
    query = (
        select(StockUpOrderRow)
        .where(StockUpOrderRow.state.in_(OPEN_STATES), StockUpOrderRow.expires_at <= now)
        .order_by(StockUpOrderRow.expires_at, StockUpOrderRow.id)
    )
    expired = list(ctx.session.scalars(query))
    for row in expired:
        due = row.due_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
        _move(
            ctx,
            row,
            "expire",
            f"not shipped {ctx.settings.stockup_expiry_days} days after it was due ({due} "
            "China time)",
        )
    return expired


def schedule_expiry(session: Session, now: datetime) -> bool:
    """Queue the expiry job when some open order is past its expiry (a worker calls this on
    every round; the coalescing key keeps it to one queued job). True when queued."""
    overdue = session.scalar(
        select(StockUpOrderRow.id)
        .where(StockUpOrderRow.state.in_(OPEN_STATES), StockUpOrderRow.expires_at <= now)
        .limit(1)
    )
    if overdue is None:
        return False
    return jobs.enqueue(session, EXPIRE_JOB, {}, now, coalesce_key=EXPIRE_JOB) is not None


def _expire_job(ctx: Context, payload: dict[str, Any]) -> str:
    expired = expire_overdue(ctx)
    return f"{len(expired)} stock-up order(s) expired" + (
        f": {', '.join(r.id for r in expired)}" if expired else ""
    )


jobs.register(EXPIRE_JOB, _expire_job)
