"""Tables of sourcing: design briefs, designs, production orders, the history of all three,
the units sold of products made to order (heard from checkout's events) and the proposals
their sell-through earned. Money in CNY fen unless a column says otherwise."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from chuhai.core.db import Base


class DesignBriefRow(Base):
    __tablename__ = "design_briefs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"))
    markets: Mapped[list[Any]]  # market codes
    keywords: Mapped[list[Any]]
    attributes: Mapped[dict[str, Any]]
    # per market: {"currency", "retail_low", "retail_high" (minor units of the market's
    # currency), "supply_low", "supply_high" (fen), "route"}
    price_bands: Mapped[dict[str, Any]]
    supply_low: Mapped[int]  # fen: the band every market's price allows
    supply_high: Mapped[int]
    # the reference unit the landed cost was computed for
    weight_g: Mapped[int]
    length_mm: Mapped[int]
    width_mm: Mapped[int]
    height_mm: Mapped[int]
    volume: Mapped[int]  # estimated first-season units, with its interval
    volume_low: Mapped[int]
    volume_high: Mapped[int]
    volume_source: Mapped[str] = mapped_column(String(20))  # entered | finding
    evidence: Mapped[str] = mapped_column(Text, default="")
    factory_note: Mapped[str] = mapped_column(Text, default="")  # e.g. no factory can meet it
    state: Mapped[str] = mapped_column(String(20), index=True)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    published_at: Mapped[datetime | None]


class DesignRow(Base):
    __tablename__ = "designs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    brief_id: Mapped[str] = mapped_column(ForeignKey("design_briefs.id"), index=True)
    studio_id: Mapped[str] = mapped_column(ForeignKey("studios.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    specification: Mapped[str] = mapped_column(Text)
    bom: Mapped[list[Any]]  # [{"material", "quantity" (decimal text), "unit", "unit_cost_fen"}]
    bom_cost: Mapped[int]
    target_cost: Mapped[int]
    image_file_ids: Mapped[list[Any]]
    state: Mapped[str] = mapped_column(String(20), index=True)
    feedback: Mapped[str] = mapped_column(Text, default="")
    revision: Mapped[int] = mapped_column(default=1)
    terms_kind: Mapped[str | None] = mapped_column(String(10))  # fee | royalty
    fee: Mapped[int | None]
    royalty_bp: Mapped[int | None]
    product_ids: Mapped[list[Any]]  # the product drafts made from it, one per factory
    submitted_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ProductionOrderRow(Base):
    __tablename__ = "production_orders"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    supplier_id: Mapped[str] = mapped_column(ForeignKey("suppliers.id"), index=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"), index=True)
    design_id: Mapped[str | None] = mapped_column(ForeignKey("designs.id"))
    warehouse_id: Mapped[str] = mapped_column(String(20))  # the consolidation warehouse
    quantity: Mapped[int]
    unit_price: Mapped[int]  # the SKU's supply price when issued
    first_run: Mapped[bool]
    override_reason: Mapped[str] = mapped_column(Text, default="")
    received: Mapped[int] = mapped_column(default=0)
    received_at: Mapped[datetime | None]
    # a reorder's split: overseas warehouse id -> units sent on from the receipt
    destinations: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))
    state: Mapped[str] = mapped_column(String(20), index=True)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)

    # a factory and the platform acting at once: the second gets a conflict, not a lost move
    __mapper_args__ = {"version_id_col": version}


class SourcingEventRow(Base):
    """Every move of a brief, design or production order: who, when, from, to, why."""

    __tablename__ = "sourcing_history"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    document_type: Mapped[str] = mapped_column(String(20))  # brief | design | production
    document_id: Mapped[str] = mapped_column(String(40), index=True)
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str] = mapped_column(String(40))
    actor_name: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime]


class ProductSaleRow(Base):
    """Units of a made-to-order SKU sold in a market, one row per order line."""

    __tablename__ = "sourcing_sales"
    __table_args__ = (UniqueConstraint("order_id", "sku_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(String(40))
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"), index=True)
    market_code: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[int]
    # units not kept after all: returned, or the order cancelled before it shipped
    taken_back: Mapped[int] = mapped_column(default=0, server_default="0")
    at: Mapped[datetime]


class SourcingProposalRow(Base):
    """A proposal for a product made to order: reorder (how many, to which warehouses), hold
    or stop, with the sentence of evidence it rests on."""

    __tablename__ = "sourcing_proposals"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    decision: Mapped[str] = mapped_column(String(10))
    quantity: Mapped[int]
    warehouses: Mapped[dict[str, Any]]  # warehouse id -> units
    evidence: Mapped[str] = mapped_column(Text)
    received: Mapped[int]
    sold: Mapped[int]
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    # proposed → approved (a reorder, into a production order) | dismissed | superseded
    state: Mapped[str] = mapped_column(String(12), default="proposed", server_default="proposed")
    production_order_id: Mapped[str | None] = mapped_column(String(40))
    decided_by: Mapped[str | None] = mapped_column(String(40))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="", server_default="")
