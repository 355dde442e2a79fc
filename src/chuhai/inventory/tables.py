"""Tables of the inventory capability.

The stock ledger is append-only: every movement is one row carrying its effect on each
stock bucket. `stock_balances` keeps the running sums for speed; `chuhai stock check`
proves them equal to the ledger. CHECK constraints make a negative bucket, or reserving
more than is on hand, impossible even for two transactions racing for the last unit.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chuhai.core.db import Base


class WarehouseRow(Base):
    __tablename__ = "warehouses"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)  # e.g. CN-GZ, US-LAX
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # consolidation | overseas
    country_code: Mapped[str] = mapped_column(String(2))
    city: Mapped[str] = mapped_column(String(100))
    latitude: Mapped[float]  # a location, not money
    longitude: Mapped[float]
    capacity_m3: Mapped[int]
    handling_cost: Mapped[int]  # per unit, minor units of handling_currency
    handling_currency: Mapped[str] = mapped_column(String(3))
    markets: Mapped[list[Any]]  # market codes it may serve
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class StockMovementRow(Base):
    """One appended movement. The deltas say what it did to each bucket."""

    __tablename__ = "stock_ledger"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"), index=True)
    warehouse_id: Mapped[str] = mapped_column(ForeignKey("warehouses.id"))
    kind: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[int]
    d_receiving: Mapped[int] = mapped_column(default=0)
    d_on_hand: Mapped[int] = mapped_column(default=0)
    d_reserved: Mapped[int] = mapped_column(default=0)
    d_picked: Mapped[int] = mapped_column(default=0)
    d_in_transit: Mapped[int] = mapped_column(default=0)
    document_type: Mapped[str] = mapped_column(String(30))
    document_id: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime]

    __table_args__ = (
        Index("ix_stock_ledger_document", "document_type", "document_id"),
        Index("ix_stock_ledger_warehouse_sku", "warehouse_id", "sku_id"),
    )


class StockBalanceRow(Base):
    """Sums of the ledger per SKU × warehouse. available = on_hand - reserved."""

    __tablename__ = "stock_balances"

    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"), primary_key=True)
    warehouse_id: Mapped[str] = mapped_column(ForeignKey("warehouses.id"), primary_key=True)
    receiving: Mapped[int] = mapped_column(default=0)  # received, waiting for QC/put-away
    on_hand: Mapped[int] = mapped_column(default=0)  # on the shelf, including reserved
    reserved: Mapped[int] = mapped_column(default=0)  # promised to orders, still on the shelf
    picked: Mapped[int] = mapped_column(default=0)  # off the shelf, packed, not yet shipped
    in_transit: Mapped[int] = mapped_column(default=0)  # on its way to this warehouse
    updated_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint("receiving >= 0", name="receiving_not_negative"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("picked >= 0", name="picked_not_negative"),
        CheckConstraint("in_transit >= 0", name="in_transit_not_negative"),
        CheckConstraint("on_hand >= reserved", name="available_not_negative"),
        Index("ix_stock_balances_warehouse", "warehouse_id"),
    )


class StockUpOrderRow(Base):
    """A stock-up order (备货单) to a supplier: JIT within hours, or planned by a date."""

    __tablename__ = "stock_up_orders"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    supplier_id: Mapped[str] = mapped_column(ForeignKey("suppliers.id"), index=True)
    warehouse_id: Mapped[str] = mapped_column(ForeignKey("warehouses.id"))
    kind: Mapped[str] = mapped_column(String(10))  # jit | planned
    state: Mapped[str] = mapped_column(String(20), index=True)
    jit_hours: Mapped[int | None]  # jit: hours the supplier has from issue to delivery
    due_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text, default="")
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    carrier: Mapped[str] = mapped_column(String(100), default="")  # the supplier's delivery
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    shipped_at: Mapped[datetime | None]
    received_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class StockUpLineRow(Base):
    __tablename__ = "stock_up_lines"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("stock_up_orders.id"), index=True)
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"))
    quantity: Mapped[int]
    unit_price: Mapped[int]  # agreed supply price, fen (CNY)
    shipped: Mapped[int] = mapped_column(default=0)  # units on the advance shipping notice
    received: Mapped[int] = mapped_column(default=0)  # counted at the dock
    qc_sampled: Mapped[int] = mapped_column(default=0)
    qc_failed: Mapped[int] = mapped_column(default=0)
    accepted: Mapped[int] = mapped_column(default=0)  # put away as sellable stock
    discrepancy: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (UniqueConstraint("order_id", "sku_id"),)


class StockUpCartonRow(Base):
    """One carton on an advance shipping notice; the barcode is printed on its label."""

    __tablename__ = "stock_up_cartons"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("stock_up_orders.id"), index=True)
    barcode: Mapped[str] = mapped_column(String(40), unique=True)
    sequence: Mapped[int]
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"))
    units: Mapped[int]
    weight_g: Mapped[int | None]


class PenaltyRow(Base):
    """A late, short or failed-QC delivery, owed by the supplier; settled by finance."""

    __tablename__ = "supplier_penalties"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    supplier_id: Mapped[str] = mapped_column(ForeignKey("suppliers.id"), index=True)
    stock_up_order_id: Mapped[str] = mapped_column(ForeignKey("stock_up_orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # late | short | qc_failed
    amount: Mapped[int]  # fen
    currency: Mapped[str] = mapped_column(String(3))
    basis: Mapped[str] = mapped_column(Text)  # how the amount follows from the rule
    rule_id: Mapped[str] = mapped_column(String(60))
    settlement_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("stock_up_order_id", "kind"),)


class TransferRow(Base):
    """A line-haul consignment from the consolidation warehouse to an overseas one."""

    __tablename__ = "stock_transfers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    from_warehouse_id: Mapped[str] = mapped_column(ForeignKey("warehouses.id"))
    to_warehouse_id: Mapped[str] = mapped_column(ForeignKey("warehouses.id"))
    mode: Mapped[str] = mapped_column(String(10))  # sea | air | rail
    state: Mapped[str] = mapped_column(String(20), index=True)
    cartons: Mapped[int]
    departed_at: Mapped[datetime | None]
    eta: Mapped[date | None]
    arrived_at: Mapped[datetime | None]
    declaration_id: Mapped[str | None] = mapped_column(String(40))  # the 9810 declaration
    # why the declaration could not be raised when it departed (e.g. a SKU without an HS code)
    declaration_problem: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class TransferLineRow(Base):
    __tablename__ = "stock_transfer_lines"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    transfer_id: Mapped[str] = mapped_column(ForeignKey("stock_transfers.id"), index=True)
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"))
    quantity: Mapped[int]
    received: Mapped[int] = mapped_column(default=0)

    __table_args__ = (UniqueConstraint("transfer_id", "sku_id"),)


class InventoryEventRow(Base):
    """Every state change of a stock-up order or a transfer: who, when, from, to, why."""

    __tablename__ = "inventory_history"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    document_type: Mapped[str] = mapped_column(String(20))  # stock_up | transfer
    document_id: Mapped[str] = mapped_column(String(40), index=True)
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str] = mapped_column(String(40))
    actor_name: Mapped[str] = mapped_column(String(100), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime]
