"""Purchases the platform has committed to but not yet received: open stock-up orders, and
the units on their way that the stock ledger does not show yet.

Finance may not import inventory (the layers run inventory > ... > finance), so the doors
ask this module and hand the amounts to the exposure report.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chuhai.inventory.stockup import OPEN_STATES, State
from chuhai.inventory.tables import StockUpLineRow, StockUpOrderRow, TransferLineRow, TransferRow
from chuhai.inventory.transfers import State as TransferState

# issued, confirmed or on its way: the supplier will be owed it on receipt
COMMITTED_STATES = (*OPEN_STATES, State.SHIPPED)
CURRENCY = "CNY"  # supply prices are agreed in CNY (fen)


def committed_purchases(session: Session) -> dict[str, int]:
    """Currency -> minor units committed at supply price on orders not yet received."""
    query = (
        select(func.sum(StockUpLineRow.quantity * StockUpLineRow.unit_price))
        .join(StockUpOrderRow, StockUpOrderRow.id == StockUpLineRow.order_id)
        .where(StockUpOrderRow.state.in_(COMMITTED_STATES))
    )
    total = session.scalar(query)
    return {CURRENCY: int(total)} if total else {}


def on_order(session: Session) -> dict[tuple[str, str], int]:
    """(SKU, warehouse) -> units coming that the stock ledger does not show yet: stock-up
    orders issued or confirmed (their quantity) or shipped (what was shipped), and transfers
    planned but not departed (+ at the destination, − at the origin, which still holds them).
    A replenishment plan that ignored these would propose the same units again."""
    coming: dict[tuple[str, str], int] = {}

    def add(sku_id: str, warehouse_id: str, units: int) -> None:
        coming[(sku_id, warehouse_id)] = coming.get((sku_id, warehouse_id), 0) + int(units)

    lines = session.execute(
        select(
            StockUpLineRow.sku_id,
            StockUpOrderRow.warehouse_id,
            StockUpOrderRow.state,
            StockUpLineRow.quantity,
            StockUpLineRow.shipped,
        )
        .join(StockUpOrderRow, StockUpOrderRow.id == StockUpLineRow.order_id)
        .where(StockUpOrderRow.state.in_(COMMITTED_STATES))
    )
    for sku_id, warehouse_id, state, quantity, shipped in lines:
        add(sku_id, warehouse_id, shipped if state == State.SHIPPED else quantity)
    for (sku_id, origin, destination), units in planned_transfers(session).items():
        add(sku_id, destination, units)
        add(sku_id, origin, -units)
    return coming


def planned_transfers(session: Session) -> dict[tuple[str, str, str], int]:
    """(SKU, origin, destination) -> units on transfers planned but not departed."""
    planned = session.execute(
        select(
            TransferLineRow.sku_id,
            TransferRow.from_warehouse_id,
            TransferRow.to_warehouse_id,
            func.sum(TransferLineRow.quantity),
        )
        .join(TransferRow, TransferRow.id == TransferLineRow.transfer_id)
        .where(TransferRow.state == TransferState.PLANNED)
        .group_by(
            TransferLineRow.sku_id, TransferRow.from_warehouse_id, TransferRow.to_warehouse_id
        )
    )
    return {(sku, origin, to): int(units) for sku, origin, to, units in planned}
