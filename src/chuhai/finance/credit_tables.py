"""Tables of B2B receivables (9710) and export credit insurance.

A buyer is invoiced in one currency; a policy (an insurer's, e.g. Sinosure) sets an insured
percentage, a maximum credit period and a waiting period before a claim; a limit caps what
one buyer may owe under one policy. Invoices carry their lines, their state and, as sums of
what the ledger was told, what was paid and claimed; every change of state is a history row.
Money is int minor units of the invoice's (the buyer's) currency; the insured percentage is
basis points (87.50 % = 8750), so no float or inexact decimal is ever stored.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chuhai.core.db import Base


class CreditBuyerRow(Base):
    """A company abroad that buys on credit (9710 B2B direct export)."""

    __tablename__ = "credit_buyers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    country_code: Mapped[str] = mapped_column(String(2))
    registration_id: Mapped[str] = mapped_column(String(60), unique=True)
    currency: Mapped[str] = mapped_column(String(3))  # the currency it is invoiced in
    contact_email: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]


class CreditPolicyRow(Base):
    """An export credit insurance policy."""

    __tablename__ = "credit_policies"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    insurer: Mapped[str] = mapped_column(String(200))
    policy_number: Mapped[str] = mapped_column(String(60), unique=True)
    insured_bp: Mapped[int]  # insured share of a loss in basis points, 1..10000
    max_credit_days: Mapped[int]
    waiting_days: Mapped[int]  # days past due before a claim may be made
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint("insured_bp > 0 AND insured_bp <= 10000", name="insured_bp_range"),
        CheckConstraint("valid_from <= valid_to", name="valid_dates_ordered"),
    )


class CreditLimitRow(Base):
    """The most a buyer may owe under a policy, in the buyer's currency."""

    __tablename__ = "credit_limits"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    policy_id: Mapped[str] = mapped_column(ForeignKey("credit_policies.id"), index=True)
    buyer_id: Mapped[str] = mapped_column(ForeignKey("credit_buyers.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    set_by: Mapped[str] = mapped_column(String(40))
    set_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("policy_id", "buyer_id"),
        CheckConstraint("amount > 0", name="limit_positive"),
    )


class CreditInvoiceRow(Base):
    """A 9710 invoice: held -> issued | rejected; issued -> partly_paid -> paid; issued or
    partly_paid -> overdue -> claimed -> claim_paid."""

    __tablename__ = "credit_invoices"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    buyer_id: Mapped[str] = mapped_column(ForeignKey("credit_buyers.id"), index=True)
    policy_id: Mapped[str | None] = mapped_column(ForeignKey("credit_policies.id"))
    # the sales contract, as a 9710 export declaration names it (customs' contract_no)
    contract_no: Mapped[str] = mapped_column(String(64), default="", index=True)
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[int] = mapped_column(BigInteger)
    paid: Mapped[int] = mapped_column(BigInteger, default=0)
    insured_claim: Mapped[int] = mapped_column(BigInteger, default=0)  # booked on 1250
    credit_loss: Mapped[int] = mapped_column(BigInteger, default=0)  # booked on 5400
    claimed_on: Mapped[date | None] = mapped_column(Date)
    claim_paid_on: Mapped[date | None] = mapped_column(Date)
    terms_days: Mapped[int]
    issued_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    state: Mapped[str] = mapped_column(String(12), index=True)
    hold_reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint("total > 0", name="total_positive"),
        CheckConstraint("paid >= 0 AND paid <= total", name="paid_within_total"),
    )


class CreditInvoiceLineRow(Base):
    __tablename__ = "credit_invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("credit_invoices.id"), index=True)
    sku_code: Mapped[str] = mapped_column(String(64), default="")
    description: Mapped[str] = mapped_column(String(300), default="")
    quantity: Mapped[int]
    unit_price: Mapped[int] = mapped_column(BigInteger)  # minor units
    amount: Mapped[int] = mapped_column(BigInteger)  # quantity x unit price

    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)


class CreditInvoiceHistoryRow(Base):
    __tablename__ = "credit_invoice_history"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("credit_invoices.id"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(12))
    to_state: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime]


class CreditPaymentRow(Base):
    """Money the buyer paid against an invoice (in the invoice's currency); received in that
    currency or, settled through the bank, in CNY."""

    __tablename__ = "credit_payments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("credit_invoices.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    received_in: Mapped[str] = mapped_column(String(3))  # the invoice's currency, or CNY
    received_on: Mapped[date] = mapped_column(Date)
    journal_entry_id: Mapped[str] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
