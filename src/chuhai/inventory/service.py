"""Use cases of stock itself: what is where (balances per SKU × warehouse), how it got
there (the movements of a SKU, a warehouse or a document), the corrections logistics staff
make (a count adjustment, a write-off, each with its reason) and the check that the
maintained balances equal the ledger.

Also the history every inventory document keeps (stock-up orders, transfers): one row per
state change with who, when, from, to and why.

Stock is platform data: reading needs `stock.read` (operators), correcting `stock.adjust`
(logistics). Suppliers see their stock-up orders, never the platform's stock levels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from chuhai.catalog import service as catalog
from chuhai.core.context import Context
from chuhai.core.errors import FieldError, NotFound, OutOfStock, ValidationFailed
from chuhai.core.ids import new_id
from chuhai.core.pagination import Page, check_window, paginate
from chuhai.core.statemachine import StateMachine
from chuhai.inventory import ledger
from chuhai.inventory.ledger import MAX_QUANTITY, Mismatch, Move
from chuhai.inventory.model import Balance
from chuhai.inventory.tables import InventoryEventRow, StockBalanceRow, StockMovementRow
from chuhai.inventory.warehouses import get_warehouse

MAX_REASON = 2_000


# --- history of inventory documents ---------------------------------------------------------------


def move(
    ctx: Context,
    machine: StateMachine,
    document_type: str,
    row: Any,
    action: str,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    """Take a stock-up order or a transfer through one transition of its machine: the
    permission checked, the move stored in the history, the row's state changed."""
    transition = machine.transition(row.state, action)
    ctx.actor.require(transition.permission)
    record_transition(
        ctx, document_type, row.id, action, row.state, transition.target, reason, details
    )
    row.state = transition.target
    row.updated_at = ctx.now()
    ctx.session.flush()


def record_transition(
    ctx: Context,
    document_type: str,
    document_id: str,
    action: str,
    from_state: str | None,
    to_state: str,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> InventoryEventRow:
    row = InventoryEventRow(
        id=new_id("ivh"),
        document_type=document_type,
        document_id=document_id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor_id=ctx.actor.user_id,
        actor_name=(ctx.actor.display_name or ctx.actor.username)[:100],
        reason=(reason or "").strip(),
        details=details or {},
        at=ctx.now(),
    )
    ctx.session.add(row)
    return row


def history_of(session: Session, document_type: str, document_id: str) -> list[InventoryEventRow]:
    query = (
        select(InventoryEventRow)
        .where(
            InventoryEventRow.document_type == document_type,
            InventoryEventRow.document_id == document_id,
        )
        .order_by(InventoryEventRow.at, InventoryEventRow.id)
    )
    return list(session.scalars(query))


def required_text(field: str, value: str | None, what: str) -> str:
    """A reason or note that must be given: stripped, not empty, not a novel."""
    text = (value or "").strip()
    if not text:
        raise ValidationFailed.one(field, what)
    if len(text) > MAX_REASON:
        raise ValidationFailed.one(field, f"at most {MAX_REASON:,} characters")
    return text


def optional_text(field: str, value: str | None) -> str:
    text = (value or "").strip()
    if len(text) > MAX_REASON:
        raise ValidationFailed.one(field, f"at most {MAX_REASON:,} characters")
    return text


def whole_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- stock levels --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StockLevel:
    """One SKU in one warehouse, every bucket, with the SKU's code for people to read."""

    sku_id: str
    sku_code: str
    warehouse_id: str
    receiving: int
    on_hand: int
    reserved: int
    picked: int
    in_transit: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


def _balance_of(row: StockBalanceRow) -> Balance:
    return Balance(
        row.sku_id,
        row.warehouse_id,
        row.receiving,
        row.on_hand,
        row.reserved,
        row.picked,
        row.in_transit,
    )


def _level(row: StockBalanceRow, code: str) -> StockLevel:
    return StockLevel(
        row.sku_id,
        code,
        row.warehouse_id,
        row.receiving,
        row.on_hand,
        row.reserved,
        row.picked,
        row.in_transit,
    )


def stock_levels(
    ctx: Context,
    *,
    warehouse_id: str | None = None,
    sku_id: str | None = None,
    search: str | None = None,
    include_empty: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> Page[StockLevel]:
    """Balances per SKU × warehouse, by warehouse, then SKUs in the order they were created;
    `search` matches SKU codes (part of one, any case). Empty balances only on request."""
    ctx.actor.require("stock.read")
    check_window(limit, offset)
    query = select(StockBalanceRow).order_by(StockBalanceRow.warehouse_id, StockBalanceRow.sku_id)
    if warehouse_id:
        query = query.where(StockBalanceRow.warehouse_id == warehouse_id)
    if sku_id:
        query = query.where(StockBalanceRow.sku_id == sku_id)
    if not include_empty:
        query = query.where(
            or_(
                StockBalanceRow.receiving != 0,
                StockBalanceRow.on_hand != 0,
                StockBalanceRow.picked != 0,
                StockBalanceRow.in_transit != 0,
            )
        )
    if search and search.strip():
        query = query.where(StockBalanceRow.sku_id.in_(_skus_matching(ctx.session, query, search)))
    page = paginate(ctx.session, query, limit, offset)
    codes = catalog.sku_codes(ctx.session, [row.sku_id for row in page.items])
    items = [_level(row, codes.get(row.sku_id, row.sku_id)) for row in page.items]
    return Page(items=items, total=page.total, limit=limit, offset=offset)


def _skus_matching(session: Session, query: Any, search: str) -> list[str]:
    """SKU ids among the query's balances whose code contains the text. SKU codes belong to
    the catalog, so the match is made on the codes of the SKUs that have balances."""
    ids = sorted({row.sku_id for row in session.scalars(query)})
    needle = search.strip().casefold()
    return [
        sku for sku, code in catalog.sku_codes(session, ids).items() if needle in code.casefold()
    ]


def movements(
    ctx: Context,
    *,
    sku_id: str | None = None,
    warehouse_id: str | None = None,
    document_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[StockMovementRow]:
    """Ledger rows, newest first, of a SKU, a warehouse, a document, or any mix of them."""
    ctx.actor.require("stock.read")
    query = ledger.movements_query(
        sku_id=sku_id, warehouse_id=warehouse_id, document_id=document_id
    )
    return paginate(ctx.session, query, limit, offset)


def sku_codes(session: Session, sku_ids: list[str]) -> dict[str, str]:
    return catalog.sku_codes(session, sorted(set(sku_ids)))


# --- corrections ---------------------------------------------------------------------------------


def _stock_place(ctx: Context, sku_id: str, warehouse_id: str) -> tuple[str, str]:
    """The SKU's code and the warehouse's id, each refused by name when unknown."""
    errors = []
    try:
        code = catalog.visible_sku(ctx, sku_id).sku_code
    except NotFound:
        errors.append(FieldError("sku_id", f"no SKU {sku_id!r}"))
    try:
        get_warehouse(ctx, warehouse_id)
    except NotFound:
        errors.append(FieldError("warehouse_id", f"no warehouse {warehouse_id!r}"))
    if errors:
        raise ValidationFailed(errors)
    return code, warehouse_id


def adjust_count(
    ctx: Context, *, sku_id: str, warehouse_id: str, counted: int, reason: str
) -> StockMovementRow:
    """Set what is on the shelf to what a stock count found: one `count_adjustment` of the
    difference. A count below the units already promised to orders is refused (409): those
    orders must be dealt with first."""
    ctx.actor.require("stock.adjust")
    code, _ = _stock_place(ctx, sku_id, warehouse_id)
    if not whole_number(counted) or not 0 <= counted <= MAX_QUANTITY:
        raise ValidationFailed.one("counted", f"the units counted, 0 to {MAX_QUANTITY:,}")
    why = required_text(
        "reason", reason, "say why the count differs (e.g. the cycle count of aisle 4)"
    )
    have = ledger.balance(ctx.session, sku_id, warehouse_id)
    difference = counted - have.on_hand
    if difference == 0:
        raise ValidationFailed.one(
            "counted", f"{counted} is what the books already say for {code}: nothing to adjust"
        )
    if counted < have.reserved:
        raise OutOfStock(
            f"counted {counted} of {code} in {warehouse_id}, but {have.reserved} are promised "
            "to orders: release or re-allocate them first",
            field="counted",
            sku_id=sku_id,
            warehouse_id=warehouse_id,
            available=have.available,
        )
    [row] = ledger.post(
        ctx,
        [Move("count_adjustment", sku_id, warehouse_id, difference)],
        document_type="count",
        document_id=new_id("cnt"),
        reason=f"counted {counted}, books said {have.on_hand}: {why}",
    )
    return row


def write_off(
    ctx: Context, *, sku_id: str, warehouse_id: str, quantity: int, reason: str
) -> StockMovementRow:
    """Take damaged, lost or unsellable units off the books, saying why."""
    ctx.actor.require("stock.adjust")
    _stock_place(ctx, sku_id, warehouse_id)
    if not whole_number(quantity) or not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationFailed.one("quantity", f"at least 1 and at most {MAX_QUANTITY:,}")
    why = required_text("reason", reason, "say why the units are written off (damaged, lost…)")
    [row] = ledger.post(
        ctx,
        [Move("write_off", sku_id, warehouse_id, quantity)],
        document_type="write_off",
        document_id=new_id("wof"),
        reason=why,
    )
    return row


def check(session: Session) -> list[Mismatch]:
    """Every maintained balance against the sum of its ledger rows; empty when they agree."""
    return ledger.verify(session)


def balance_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(StockBalanceRow)) or 0)


def on_hand_where(session: Session, warehouse_id: str, sku_ids: list[str]) -> dict[str, Balance]:
    """The balances of some SKUs in one warehouse (zero ones left out)."""
    query = select(StockBalanceRow).where(
        and_(StockBalanceRow.warehouse_id == warehouse_id, StockBalanceRow.sku_id.in_(sku_ids))
    )
    return {row.sku_id: _balance_of(row) for row in session.scalars(query)}
