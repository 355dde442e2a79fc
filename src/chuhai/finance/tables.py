"""Tables of the finance capability.

`fx_rates` holds exchange rates exactly as published: the ECB's EUR→X reference rates and
rates imported from other sources (a bank's daily rate). One row per source, pair and day;
rows are added, never edited. Derived rates (inverses, crosses) are computed on lookup and
never stored.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from chuhai.core.db import Base


class FxRateRow(Base):
    """One unit of `base` buys `rate` units of `quote` on `rate_date`, per `source`."""

    __tablename__ = "fx_rates"

    base: Mapped[str] = mapped_column(String(3))
    quote: Mapped[str] = mapped_column(String(3))
    rate_date: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(16))  # "ECB", or an import's source, e.g. "BOC"
    # exact decimal text ("7.4326"): SQLite has no exact decimal type, and a float would not do
    rate: Mapped[str] = mapped_column(String(40))
    loaded_at: Mapped[datetime]
    loaded_by: Mapped[str] = mapped_column(String(40))  # user id, or "system"

    # the key leads with the pair and the date: "the newest rate on or before a day" is one
    # backward index scan
    __table_args__ = (PrimaryKeyConstraint("base", "quote", "rate_date", "source"),)
