"""Tables of the orders capability: carts, orders with their lines as charged, payments and
refunds, the allocation decisions, returns, and every state change of an order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chuhai.core.db import Base


class CartRow(Base):
    """A storefront cart; the secret token in the buyer's cookie is its only key."""

    __tablename__ = "carts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    market_code: Mapped[str] = mapped_column(ForeignKey("markets.code"))
    items: Mapped[list[Any]]  # [{"sku_id": ..., "quantity": n}]
    order_id: Mapped[str | None] = mapped_column(String(40))  # set once checked out
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class OrderRow(Base):
    __tablename__ = "orders"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # shown to the buyer
    market_code: Mapped[str] = mapped_column(ForeignKey("markets.code"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    state: Mapped[str] = mapped_column(String(20), index=True)
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), index=True)
    email: Mapped[str] = mapped_column(String(200))
    ship_to: Mapped[dict[str, Any]]  # name, line1, line2, city, region, postal_code, country
    route: Mapped[str] = mapped_column(String(10))  # the customs route the price was quoted on
    terms: Mapped[str] = mapped_column(String(3))  # DDP | DAP
    # the import regime as quoted, e.g. "low value: VAT collected at checkout" (IOSS in the EU)
    regime: Mapped[str] = mapped_column(String(120))
    goods: Mapped[int]  # minor units of currency, net of duty and VAT
    duty: Mapped[int]
    vat: Mapped[int]
    total: Mapped[int]  # charged at checkout
    due_on_delivery: Mapped[int]
    refunded: Mapped[int] = mapped_column(default=0)
    fx_rate: Mapped[str] = mapped_column(String(40))
    fx_on: Mapped[str] = mapped_column(String(10))
    placed_by: Mapped[str] = mapped_column(String(40))  # the user or storefront that placed it
    placed_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class OrderLineRow(Base):
    __tablename__ = "order_lines"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"), index=True)
    quantity: Mapped[int]
    unit_price: Mapped[int]  # what the buyer paid per unit, duty and taxes included (DDP)
    unit_net: Mapped[int]
    unit_duty: Mapped[int]
    unit_vat: Mapped[int]
    line_total: Mapped[int]
    returned: Mapped[int] = mapped_column(default=0)

    __table_args__ = (UniqueConstraint("order_id", "sku_id"),)


class PaymentRow(Base):
    __tablename__ = "payments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    provider: Mapped[str] = mapped_column(String(30))
    provider_ref: Mapped[str | None] = mapped_column(String(100), unique=True)
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    state: Mapped[str] = mapped_column(
        String(20)
    )  # authorised | captured | refused | failed | voided
    card_last4: Mapped[str] = mapped_column(String(4), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RefundRow(Base):
    __tablename__ = "refunds"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"))
    return_id: Mapped[str | None] = mapped_column(String(40))
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    provider_ref: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]


class AllocationRow(Base):
    """Which warehouse serves how many units of an order line, and why it was chosen."""

    __tablename__ = "allocations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"))
    warehouse_id: Mapped[str] = mapped_column(ForeignKey("warehouses.id"))
    quantity: Mapped[int]
    route: Mapped[str] = mapped_column(String(10))  # 9810 from abroad, 9610 direct mail
    strategy: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    scores: Mapped[dict[str, Any]]  # the candidates the strategy weighed
    state: Mapped[str] = mapped_column(
        String(20), default="reserved"
    )  # reserved|picked|shipped|released
    created_at: Mapped[datetime]


class ReturnRow(Base):
    """A return authorisation and what became of the goods."""

    __tablename__ = "returns"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    state: Mapped[str] = mapped_column(String(20))  # authorised | received | refunded | rejected
    lines: Mapped[list[Any]]  # [{"sku_id", "quantity", "condition", "outcome"}]
    reason: Mapped[str] = mapped_column(Text)
    warehouse_id: Mapped[str | None] = mapped_column(ForeignKey("warehouses.id"))
    refund_amount: Mapped[int] = mapped_column(default=0)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class OrderEventRow(Base):
    __tablename__ = "order_history"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime]

    __table_args__ = (Index("ix_order_history_order", "order_id", "at"),)


class SandboxPaymentRow(Base):
    """The sandbox payment provider's own book: one row per call it answered. It stands in for
    an outside service, so it writes in its own transactions (on SQLite, in its own file),
    never in the caller's: an authorisation it granted survives the caller's rollback, as a
    real provider's would, and must be voided or refunded."""

    __tablename__ = "sandbox_payments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # the provider's reference
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    operation: Mapped[str] = mapped_column(String(20))  # authorise | capture | void | refund
    parent_id: Mapped[str | None] = mapped_column(String(40), index=True)
    status: Mapped[str] = mapped_column(String(20))  # approved | declined
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    card_last4: Mapped[str] = mapped_column(String(4), default="")
    decline_code: Mapped[str] = mapped_column(String(40), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    reference: Mapped[str] = mapped_column(String(100), default="")  # the merchant's order
    created_at: Mapped[datetime]
