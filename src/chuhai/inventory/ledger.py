"""The stock ledger: append a movement and apply it to the balance in one statement.

The balance update carries its own guard (`WHERE on_hand - reserved >= n` for a
reservation, `bucket >= n` for anything taken out), so two transactions racing for the
last units cannot both succeed: the database serialises the row update and the loser's
guard fails. The table's CHECK constraints say the same again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from chuhai.core import events
from chuhai.core.context import Context
from chuhai.core.errors import OutOfStock, ValidationFailed
from chuhai.inventory.model import BUCKETS, MOVEMENTS, Balance, deltas
from chuhai.inventory.tables import StockBalanceRow, StockMovementRow

MAX_QUANTITY = 1_000_000


@dataclass(frozen=True)
class Move:
    kind: str
    sku_id: str
    warehouse_id: str
    quantity: int


def post(
    ctx: Context,
    moves: Iterable[Move],
    *,
    document_type: str,
    document_id: str,
    reason: str = "",
) -> list[StockMovementRow]:
    """Append movements for one document and apply them to the balances. Raises
    OutOfStock (nothing applied by the caller's transaction) when any would take a bucket
    below zero or reserve more than is available."""
    rows = []
    for move in moves:
        _check(move)
        change = deltas(move.kind, move.quantity)
        _apply(ctx, move, change)
        row = StockMovementRow(
            sku_id=move.sku_id,
            warehouse_id=move.warehouse_id,
            kind=move.kind,
            quantity=move.quantity,
            document_type=document_type,
            document_id=document_id,
            reason=reason,
            actor_id=ctx.actor.user_id,
            at=ctx.now(),
            **{f"d_{bucket}": value for bucket, value in change.items()},
        )
        rows.append(row)
    # added after every balance moved, so they go in as one batch, not one insert per move
    ctx.session.add_all(rows)
    ctx.session.flush()
    changed = [
        {
            "sku_id": r.sku_id,
            "warehouse_id": r.warehouse_id,
            "available_change": r.d_on_hand - r.d_reserved,
        }
        for r in rows
        if r.d_on_hand != r.d_reserved
    ]
    if changed:  # demand records stockouts (censored demand) from these
        events.publish(ctx, "stock.available_changed", moves=changed)
    return rows


def _check(move: Move) -> None:
    movement = MOVEMENTS.get(move.kind)
    if movement is None:
        raise ValidationFailed.one("kind", f"one of {', '.join(MOVEMENTS)}")
    quantity = move.quantity
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise ValidationFailed.one("quantity", "a whole number of units")
    if quantity == 0 or abs(quantity) > MAX_QUANTITY or (quantity < 0 and not movement.signed):
        allowed = "non-zero" if movement.signed else "at least 1"
        raise ValidationFailed.one("quantity", f"{allowed} and at most {MAX_QUANTITY:,}")


def _apply(ctx: Context, move: Move, change: dict[str, int]) -> None:
    session = ctx.session
    key = and_(
        StockBalanceRow.sku_id == move.sku_id, StockBalanceRow.warehouse_id == move.warehouse_id
    )
    guards = [
        getattr(StockBalanceRow, bucket) >= -value for bucket, value in change.items() if value < 0
    ]
    if change["on_hand"] < 0 or change["reserved"] > 0:
        guards.append(
            StockBalanceRow.on_hand + change["on_hand"]
            >= StockBalanceRow.reserved + change["reserved"]
        )
    values = {
        bucket: getattr(StockBalanceRow, bucket) + value
        for bucket, value in change.items()
        if value
    }
    statement = (
        update(StockBalanceRow)
        .where(key, *guards)
        .values(**values, updated_at=ctx.now())
        .execution_options(synchronize_session=False)
    )
    applied = session.execute(statement).rowcount  # type: ignore[attr-defined]
    if applied != 1 and not guards:
        # purely additive, and this SKU has never been in this warehouse: create its row
        _ensure_balance_row(session, move, ctx)
        applied = session.execute(statement).rowcount  # type: ignore[attr-defined]
    if applied != 1:
        have = balance(session, move.sku_id, move.warehouse_id)
        raise OutOfStock(
            f"not enough stock of SKU {move.sku_id} in {move.warehouse_id} for "
            f"{move.kind.replace('_', ' ')} of {abs(move.quantity)} "
            f"(available {have.available}, on hand {have.on_hand})",
            field="quantity",
            sku_id=move.sku_id,
            warehouse_id=move.warehouse_id,
            available=have.available,
        )


def _ensure_balance_row(session: Session, move: Move, ctx: Context) -> None:
    """Create the zero balance row if missing; concurrent creators do not collide."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {bucket: 0 for bucket in BUCKETS}
    statement = insert(StockBalanceRow).values(
        sku_id=move.sku_id, warehouse_id=move.warehouse_id, updated_at=ctx.now(), **values
    )
    session.execute(statement.on_conflict_do_nothing())


def balance(session: Session, sku_id: str, warehouse_id: str) -> Balance:
    row = session.get(StockBalanceRow, (sku_id, warehouse_id), populate_existing=True)
    if row is None:
        return Balance(sku_id, warehouse_id, 0, 0, 0, 0, 0)
    return _balance(row)


def balances(
    session: Session,
    *,
    sku_ids: Iterable[str] | None = None,
    warehouse_ids: Iterable[str] | None = None,
) -> list[Balance]:
    query = select(StockBalanceRow).order_by(StockBalanceRow.warehouse_id, StockBalanceRow.sku_id)
    if sku_ids is not None:
        query = query.where(StockBalanceRow.sku_id.in_(list(sku_ids)))
    if warehouse_ids is not None:
        query = query.where(StockBalanceRow.warehouse_id.in_(list(warehouse_ids)))
    return [_balance(row) for row in session.scalars(query)]


def available(session: Session, sku_ids: Iterable[str]) -> dict[tuple[str, str], int]:
    """(sku, warehouse) -> units available to promise, only where some are."""
    query = select(
        StockBalanceRow.sku_id,
        StockBalanceRow.warehouse_id,
        StockBalanceRow.on_hand - StockBalanceRow.reserved,
    ).where(
        StockBalanceRow.sku_id.in_(list(sku_ids)),
        StockBalanceRow.on_hand > StockBalanceRow.reserved,
    )
    return {(sku, warehouse): units for sku, warehouse, units in session.execute(query)}


def _balance(row: StockBalanceRow) -> Balance:
    return Balance(
        row.sku_id,
        row.warehouse_id,
        row.receiving,
        row.on_hand,
        row.reserved,
        row.picked,
        row.in_transit,
    )


@dataclass(frozen=True)
class Mismatch:
    sku_id: str
    warehouse_id: str
    bucket: str
    ledger: int
    balance: int


def verify(session: Session) -> list[Mismatch]:
    """Every balance against the sum of its ledger rows; empty when they agree."""
    sums = select(
        StockMovementRow.sku_id,
        StockMovementRow.warehouse_id,
        *[func.sum(getattr(StockMovementRow, f"d_{b}")).label(b) for b in BUCKETS],
    ).group_by(StockMovementRow.sku_id, StockMovementRow.warehouse_id)
    from_ledger = {(r.sku_id, r.warehouse_id): r for r in session.execute(sums)}
    stored = {(b.sku_id, b.warehouse_id): b for b in balances(session)}
    found = []
    for key in sorted(set(from_ledger) | set(stored)):
        for bucket in BUCKETS:
            ledger_value = int(getattr(from_ledger[key], bucket) or 0) if key in from_ledger else 0
            stored_value = getattr(stored[key], bucket) if key in stored else 0
            if ledger_value != stored_value:
                found.append(Mismatch(key[0], key[1], bucket, ledger_value, stored_value))
    return found


def movements_query(
    *, sku_id: str | None = None, warehouse_id: str | None = None, document_id: str | None = None
) -> Select[StockMovementRow]:
    query = select(StockMovementRow).order_by(StockMovementRow.id.desc())
    if sku_id:
        query = query.where(StockMovementRow.sku_id == sku_id)
    if warehouse_id:
        query = query.where(StockMovementRow.warehouse_id == warehouse_id)
    if document_id:
        query = query.where(StockMovementRow.document_id == document_id)
    return query
