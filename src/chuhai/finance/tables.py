"""Tables of the finance capability.

`fx_rates` holds exchange rates exactly as published: the ECB's EUR→X reference rates and
rates imported from other sources (a bank's daily rate). One row per source, pair and day;
rows are added, never edited. Derived rates (inverses, crosses) are computed on lookup and
never stored.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
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


# --- the ledger --------------------------------------------------------------------------------
# Entries and their lines are only ever inserted: a correction is a reversing entry that links
# to the one it corrects. Balances are sums of lines, never stored apart from them.


class AccountRow(Base):
    """One account of the chart (data/finance/chart_of_accounts.json), kept in one currency."""

    __tablename__ = "ledger_accounts"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)  # e.g. 1100-US, 3900-EUR
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))  # asset | liability | equity | revenue | expense
    currency: Mapped[str] = mapped_column(String(3))
    purpose: Mapped[str] = mapped_column(String(30))  # clearing, tax_payable, fx_trading...
    market_code: Mapped[str | None] = mapped_column(String(2))
    authority: Mapped[str | None] = mapped_column(String(200))  # who a tax or duty is owed to
    created_at: Mapped[datetime]


class JournalEntryRow(Base):
    """One immutable journal entry: what caused it, and for a conversion the rate it used."""

    __tablename__ = "journal_entries"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    posted_on: Mapped[date] = mapped_column(Date, index=True)  # the accounting date
    description: Mapped[str] = mapped_column(Text)
    document_type: Mapped[str] = mapped_column(String(30))  # order, refund, stock_up_order...
    document_id: Mapped[str] = mapped_column(String(40))
    event: Mapped[str] = mapped_column(String(40))  # payment.captured, manual, reversal...
    # one entry per event occurrence: a re-delivered event finds the entry it already made
    event_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    market_code: Mapped[str | None] = mapped_column(String(2))
    reverses_id: Mapped[str | None] = mapped_column(
        ForeignKey("journal_entries.id"), unique=True
    )  # an entry is reversed at most once
    fx_rate: Mapped[str | None] = mapped_column(String(40))  # exact decimal text
    fx_on: Mapped[date | None] = mapped_column(Date)  # the rate's own date
    fx_source: Mapped[str | None] = mapped_column(String(40))
    # a settlement's receivable leaves the books at the rate of the day it was booked (the
    # realised result is taken against that day): revaluation values it there, not twice
    fx_booked_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_journal_entries_document", "document_type", "document_id"),)


class JournalLineRow(Base):
    """One line: a signed amount (debit positive, credit negative) in its account's currency."""

    __tablename__ = "journal_lines"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(ForeignKey("journal_entries.id"), index=True)
    account_code: Mapped[str] = mapped_column(ForeignKey("ledger_accounts.code"))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)  # minor units of currency
    memo: Mapped[str] = mapped_column(String(200), default="")
    # who the line is owed to or by (a supplier's id on supplier payables), so one account
    # in the chart reconciles per party
    party_id: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        Index("ix_journal_lines_account", "account_code", "entry_id"),
        Index("ix_journal_lines_party", "account_code", "party_id"),
    )


class AccountingPeriodRow(Base):
    """A month of the books; once closed, nothing more posts into it."""

    __tablename__ = "accounting_periods"

    id: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(10))  # open | closed
    closed_by: Mapped[str | None] = mapped_column(String(40))
    closed_at: Mapped[datetime | None]


# --- supplier settlement ---------------------------------------------------------------------
# A run per cycle (an ISO week) holds one statement per supplier; each statement line is one
# ledger line on supplier payables, taken at most once (the unique key), so statements
# reconcile to the ledger line by line.


class SettlementRunRow(Base):
    """One settlement cycle: draft (computed) -> approved (payouts sent) -> paid."""

    __tablename__ = "settlement_runs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    cycle: Mapped[str] = mapped_column(String(10), unique=True)  # ISO week, 2026-W48
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(10), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    approved_by: Mapped[str | None] = mapped_column(String(40))
    approved_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]


class SettlementRunHistoryRow(Base):
    __tablename__ = "settlement_run_history"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("settlement_runs.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(10))
    to_state: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime]


class SettlementStatementRow(Base):
    """What one supplier is owed in a run: owed - deductions = net (fen)."""

    __tablename__ = "settlement_statements"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("settlement_runs.id"), index=True)
    supplier_id: Mapped[str] = mapped_column(String(40), index=True)
    owed: Mapped[int] = mapped_column(BigInteger)
    deductions: Mapped[int] = mapped_column(BigInteger)
    net: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    line_count: Mapped[int]

    __table_args__ = (UniqueConstraint("run_id", "supplier_id"),)


class SettlementLineRow(Base):
    """One ledger line a statement takes: a receipt's credit (owed) or a penalty's debit."""

    __tablename__ = "settlement_lines"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    statement_id: Mapped[str] = mapped_column(ForeignKey("settlement_statements.id"), index=True)
    journal_line_id: Mapped[int] = mapped_column(ForeignKey("journal_lines.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # receipt | penalty
    document_type: Mapped[str] = mapped_column(String(30))
    document_id: Mapped[str] = mapped_column(String(40))
    posted_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)  # owed positive, deduction negative
    memo: Mapped[str] = mapped_column(String(200), default="")


class PayoutRow(Base):
    """One CNY payment of a run's batch to a supplier's bank account."""

    __tablename__ = "settlement_payouts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("settlement_runs.id"), index=True)
    statement_id: Mapped[str] = mapped_column(ForeignKey("settlement_statements.id"), unique=True)
    supplier_id: Mapped[str] = mapped_column(String(40), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    bank_name: Mapped[str] = mapped_column(String(200))
    account_name: Mapped[str] = mapped_column(String(200))
    account_number: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(80), unique=True)  # the bank's idempotency key
    state: Mapped[str] = mapped_column(String(10))  # sent | confirmed | refused
    bank_reference: Mapped[str | None] = mapped_column(String(60))
    refusal: Mapped[str] = mapped_column(Text, default="")
    journal_entry_id: Mapped[str | None] = mapped_column(String(40))
    sent_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]


# --- the hedge book (treasury) -----------------------------------------------------------------
# A forward sells or buys a foreign currency against CNY at a contract rate on its value date.


class ForwardContractRow(Base):
    """One FX forward with a bank: open -> settled | cancelled."""

    __tablename__ = "fx_forwards"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    counterparty: Mapped[str] = mapped_column(String(200))  # the bank
    direction: Mapped[str] = mapped_column(String(4))  # sell | buy (the foreign currency)
    currency: Mapped[str] = mapped_column(String(3))  # the foreign currency
    notional: Mapped[int] = mapped_column(BigInteger)  # minor units of `currency`, > 0
    contract_rate: Mapped[str] = mapped_column(String(40))  # exact decimal text, foreign→CNY
    trade_date: Mapped[date] = mapped_column(Date)
    value_date: Mapped[date] = mapped_column(Date, index=True)  # maturity
    state: Mapped[str] = mapped_column(String(10), index=True)
    journal_entry_id: Mapped[str | None] = mapped_column(String(40))  # the settlement's
    idempotency_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]

    __table_args__ = (CheckConstraint("notional > 0", name="notional_positive"),)


class ForwardHistoryRow(Base):
    __tablename__ = "fx_forward_history"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    forward_id: Mapped[str] = mapped_column(ForeignKey("fx_forwards.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(10))
    to_state: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime]


class RevaluationRow(Base):
    """One month's FX revaluation: the entry posted on its last day and its reversal."""

    __tablename__ = "fx_revaluations"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    # None when there was nothing to revalue
    entry_id: Mapped[str | None] = mapped_column(String(40))
    reversal_id: Mapped[str | None] = mapped_column(String(40))
    unrealised: Mapped[int] = mapped_column(BigInteger)  # fen, gain positive
    hedge_result: Mapped[int] = mapped_column(BigInteger)  # fen, gain positive
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
