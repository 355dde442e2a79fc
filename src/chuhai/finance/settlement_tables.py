"""Tables of supplier settlement kept apart from `finance.tables`: the payout attempts a
bank refused. A statement has one payout (`settlement_payouts`, unique per statement), the
instruction sent last; each earlier attempt the bank refused is kept here with its reason,
so a retry after the supplier fixed its bank account never hides what happened."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from chuhai.core.db import Base


class PayoutRefusalRow(Base):
    """One refused payment instruction of a payout, as it was sent."""

    __tablename__ = "settlement_payout_refusals"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    payout_id: Mapped[str] = mapped_column(ForeignKey("settlement_payouts.id"), index=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)  # the bank's idempotency key
    bank_name: Mapped[str] = mapped_column(String(200))
    account_name: Mapped[str] = mapped_column(String(200))
    account_number: Mapped[str] = mapped_column(String(40))
    refusal: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime]
    retried_by: Mapped[str] = mapped_column(String(40))
    retried_at: Mapped[datetime]
