"""Purchases the platform has committed to but not yet received: open stock-up orders.

Finance may not import inventory (the layers run inventory > ... > finance), so the doors
ask this module and hand the amounts to the exposure report.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chuhai.inventory.stockup import OPEN_STATES, State
from chuhai.inventory.tables import StockUpLineRow, StockUpOrderRow

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
