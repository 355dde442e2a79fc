"""Tables of demand signals, stockouts and stored forecasts.

Signals are daily counts, one row per (day, market, SKU, kind, source) and per
(day, market, category, kind, query, source); the key is the primary key, so recording is
an upsert. The platform's own sources (storefront, orders) add to a day's count; an
imported file replaces what the same source said for that key, so importing a file again
never doubles it. Days are UTC calendar days.

A stockout is an interval during which no warehouse serving a market had a SKU available
(`ended_at` is None while it lasts): days it touches are censored demand, not low demand.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from chuhai.core.db import Base


class SkuSignalRow(Base):
    """How often a SKU was viewed, put in a cart, ordered or returned in a market on a day."""

    __tablename__ = "demand_sku_signals"

    day: Mapped[date] = mapped_column(primary_key=True)
    market_code: Mapped[str] = mapped_column(ForeignKey("markets.code"), primary_key=True)
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)  # view|add_to_cart|order|return
    source: Mapped[str] = mapped_column(String(120), primary_key=True)  # storefront|orders|csv:f
    count: Mapped[int]  # events, or units for orders and returns
    updated_at: Mapped[datetime]

    __table_args__ = (Index("ix_demand_sku_signals_sku_market", "sku_id", "market_code", "day"),)


class CategorySignalRow(Base):
    """Searches (with their query text) and category-level counts in a market on a day.
    `category_code` is "" when the source names no category (a search that found nothing);
    `query` is "" for anything but searches."""

    __tablename__ = "demand_category_signals"

    day: Mapped[date] = mapped_column(primary_key=True)
    market_code: Mapped[str] = mapped_column(ForeignKey("markets.code"), primary_key=True)
    category_code: Mapped[str] = mapped_column(String(80), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    query: Mapped[str] = mapped_column(String(100), primary_key=True)
    source: Mapped[str] = mapped_column(String(120), primary_key=True)
    count: Mapped[int]
    updated_at: Mapped[datetime]

    __table_args__ = (Index("ix_demand_category_signals_market_day", "market_code", "day"),)


class StockoutRow(Base):
    """A SKU unavailable in a market: from the move that took the last unit until stock came
    back (None while it lasts)."""

    __tablename__ = "demand_stockouts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"))
    market_code: Mapped[str] = mapped_column(ForeignKey("markets.code"))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(120))  # inventory | csv:<file>

    __table_args__ = (Index("ix_demand_stockouts_sku_market", "sku_id", "market_code"),)


class ForecastRunRow(Base):
    """One forecast of every SKU × market series with order history, kept so planners can
    read what a replenishment run rested on, and compare runs."""

    __tablename__ = "demand_forecast_runs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    method: Mapped[str] = mapped_column(String(40))  # forecast_daily | trailing_28d | given
    first_day: Mapped[date]  # the horizon's first day
    horizon: Mapped[int]  # days
    series: Mapped[int]
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]


class ForecastSeriesRow(Base):
    """A series' daily forecast: the mean and the 80% and 95% intervals, one value a day
    from the run's first day (units, rounded to 0.01)."""

    __tablename__ = "demand_forecasts"

    run_id: Mapped[str] = mapped_column(ForeignKey("demand_forecast_runs.id"), primary_key=True)
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"), primary_key=True)
    market_code: Mapped[str] = mapped_column(ForeignKey("markets.code"), primary_key=True)
    total: Mapped[float]  # Σ mean over the horizon, to order the list by
    mean: Mapped[list[Any]]
    lo_80: Mapped[list[Any]]
    hi_80: Mapped[list[Any]]
    lo_95: Mapped[list[Any]]
    hi_95: Mapped[list[Any]]
