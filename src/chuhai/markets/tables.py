"""Tables of the markets capability."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from chuhai.core.db import Base


class MarketRow(Base):
    __tablename__ = "markets"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    country_code: Mapped[str | None] = mapped_column(String(2))
    region: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    languages: Mapped[str] = mapped_column(String(100))  # comma-separated locale codes
    tax_inclusive: Mapped[bool]
    time_zone: Mapped[str] = mapped_column(String(64))
    customs: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
