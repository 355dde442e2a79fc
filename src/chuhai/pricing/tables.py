"""Tables of the pricing capability: dated rules, each market's pricing policy, the price
book (one current price per SKU × market × route) and its append-only history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from chuhai.core.db import Base


class PricingRuleRow(Base):
    __tablename__ = "pricing_rules"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    scope_key: Mapped[str] = mapped_column(String(200), index=True)
    data: Mapped[dict[str, Any]]
    effective_from: Mapped[date]
    effective_to: Mapped[date | None]
    source: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]


class MarketPricingRow(Base):
    """A market's pricing policy; rates in basis points, money in the market's minor units."""

    __tablename__ = "market_pricing"

    market_code: Mapped[str] = mapped_column(ForeignKey("markets.code"), primary_key=True)
    margin_bp: Mapped[int]
    returns_bp: Mapped[int]
    payment_fee_bp: Mapped[int]
    payment_fee_fixed: Mapped[int]
    fx_buffer_bp: Mapped[int]
    max_daily_change_bp: Mapped[int]
    rounding: Mapped[str] = mapped_column(String(20))
    handling: Mapped[int]
    updated_by: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime]


class PriceRow(Base):
    """The price in force (or held for approval, or refused) for one SKU in one market."""

    __tablename__ = "price_book"

    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"), primary_key=True)
    market_code: Mapped[str] = mapped_column(ForeignKey("markets.code"), primary_key=True)
    route: Mapped[str] = mapped_column(String(10), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    price: Mapped[int | None]  # minor units, what the buyer is shown; None when refused
    net_price: Mapped[int | None]
    landed_cost: Mapped[int | None]
    margin: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(10))  # active | held | refused
    proposed_price: Mapped[int | None]  # a held change waiting for approval
    reason: Mapped[str] = mapped_column(Text, default="")
    fx_rate: Mapped[str | None] = mapped_column(String(40))
    fx_on: Mapped[date | None]
    priced_on: Mapped[date]
    breakdown: Mapped[dict[str, Any]]
    computed_at: Mapped[datetime]


class PriceHistoryRow(Base):
    __tablename__ = "price_history"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"), index=True)
    market_code: Mapped[str] = mapped_column(String(8))
    route: Mapped[str] = mapped_column(String(10))
    currency: Mapped[str] = mapped_column(String(3))
    price: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime]
