"""Supplier settlement in CNY: a run per ISO week, a statement per supplier, a payout batch.

What a supplier is owed and what is deducted are read from the ledger, never recomputed
from orders: a statement takes the supplier's lines on supplier payables (2100-CNY, each
carrying the supplier as its party) that no statement has taken yet and that were posted
on or before the cycle's last day:

- receipts (event stock_up.received): units accepted at the consolidation warehouse x the
  agreed supply price, for a supplier paid on receipt; units that failed QC were never
  owed, so they never appear;
- sales (event order.shipped): units shipped to buyers x the supply price, for a supplier
  paid on sale (consignment);
- deductions (event penalty.created): late, short and failed-QC penalties;
- reversals (ledger.reverse) of any of these, or of a payout the bank took back: a receipt
  reversed after it was paid is deducted from the next statement.

Each ledger line is taken by one statement at most (a unique key), so a statement equals
its ledger lines to the fen, and `check` proves it. A supplier whose deductions reach what
it is owed gets no statement this cycle: its lines carry forward to the next.

States: draft (computed) -> approved (finance; the payout batch is sent) -> paid (the bank
confirmed every payment). A payment the bank refused (a closed account, say) is sent again
by `retry_payout` once the supplier's bank account is fixed and verified; the refused
instruction is kept with its reason (settlement_payout_refusals). Running a cycle again
returns its run unchanged; a cycle already paid is refused. A confirmed payment posts
Dr supplier payables / Cr bank CNY and tells the stock-up side which penalties it settled
(event settlement.paid).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import Select, Table, case, func, insert, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chuhai.core import events
from chuhai.core.context import Context
from chuhai.core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from chuhai.core.ids import new_id
from chuhai.finance import ledger
from chuhai.finance.bank import (
    SANDBOX,
    BankAnswer,
    BankPayments,
    PaymentInstruction,
    account_problem,
)
from chuhai.finance.ledger import Line
from chuhai.finance.settlement_tables import PayoutRefusalRow
from chuhai.finance.tables import (
    JournalEntryRow,
    JournalLineRow,
    PayoutRow,
    SettlementLineRow,
    SettlementRunHistoryRow,
    SettlementRunRow,
    SettlementStatementRow,
)
from chuhai.parties import service as parties

PAYABLES = "2100-CNY"
BANK = "1300-CNY"
CURRENCY = "CNY"
RECEIPT_EVENT = "stock_up.received"
PRODUCTION_EVENT = "production_order.received"  # a small-batch run: owed like a receipt
PENALTY_EVENT = "penalty.created"
SALE_EVENT = "order.shipped"
REVERSAL_EVENT = ledger.REVERSAL
SETTLED_EVENTS = (RECEIPT_EVENT, PRODUCTION_EVENT, PENALTY_EVENT, SALE_EVENT, REVERSAL_EVENT)
PAYOUT_EVENT = "settlement.payout"
CYCLE = re.compile(r"^(\d{4})-W(\d{2})$")
DRAFT, APPROVED, PAID = "draft", "approved", "paid"
SENT, CONFIRMED, REFUSED = "sent", "confirmed", "refused"
LINES = cast(Table, SettlementLineRow.__table__)
STATEMENTS = cast(Table, SettlementStatementRow.__table__)


class CyclePaid(Conflict):
    code = "cycle-paid"
    title = "Settlement cycle already paid"


class NoVerifiedBankAccount(Conflict):
    code = "no-verified-bank-account"
    title = "Supplier without a verified bank account"


@dataclass(frozen=True)
class Cycle:
    name: str
    starts_on: date
    ends_on: date


def parse_cycle(text: str) -> Cycle:
    """An ISO week, "2026-W48": Monday to Sunday."""
    raw = str(text).strip().upper()
    match = CYCLE.match(raw)
    if match:
        try:
            monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
        except ValueError:
            monday = None
        if monday is not None:
            return Cycle(raw, monday, monday + timedelta(days=6))
    raise ValidationFailed.one("cycle", f"{text!r} is not an ISO week such as 2026-W48")


# --- runs ---------------------------------------------------------------------------------


def run_cycle(ctx: Context, cycle_text: str) -> SettlementRunRow:
    """The run of a cycle: computed once as a draft; asked again, returned unchanged.

    Raises:
        ValidationFailed: the cycle is not an ISO week.
        CyclePaid: the cycle's run is already paid (409).
    """
    ctx.actor.require("settlement.manage")
    cycle = parse_cycle(cycle_text)
    existing = ctx.session.scalar(
        select(SettlementRunRow).where(SettlementRunRow.cycle == cycle.name)
    )
    if existing is not None:
        if existing.state == PAID:
            raise CyclePaid(
                f"the cycle {cycle.name} is already paid; nothing more can run for it",
                field="cycle",
                cycle=cycle.name,
            )
        return existing
    run = SettlementRunRow(
        id=new_id("stl"),
        cycle=cycle.name,
        starts_on=cycle.starts_on,
        ends_on=cycle.ends_on,
        state=DRAFT,
        currency=CURRENCY,
        created_by=ctx.actor.user_id,
        created_at=ctx.now(),
    )
    ctx.session.add(run)
    try:
        ctx.session.flush()  # the run before its history and statements (no ORM relationships)
        _record(ctx, run, None, DRAFT, "computed")
        _compute_statements(ctx.session, run)
    except IntegrityError:
        # another run of this cycle, or of a neighbouring one, took these lines just now
        raise Conflict(
            f"another settlement run was computed at the same moment; run {cycle.name} again",
            field="cycle",
        ) from None
    return run


def _open_lines(ends_on: date) -> Select[Any]:
    """The supplier-payable lines no statement has taken, posted on or before `ends_on`."""
    taken = select(SettlementLineRow.journal_line_id).where(
        SettlementLineRow.journal_line_id == JournalLineRow.id
    )
    return (
        select()
        .select_from(JournalLineRow)
        .join(JournalEntryRow, JournalEntryRow.id == JournalLineRow.entry_id)
        .where(
            JournalLineRow.account_code == PAYABLES,
            JournalLineRow.party_id.is_not(None),
            JournalEntryRow.event.in_(SETTLED_EVENTS),
            JournalEntryRow.posted_on <= ends_on,
            ~taken.exists(),
        )
    )


def _compute_statements(session: Session, run: SettlementRunRow) -> None:
    """One statement per supplier with a positive net, then its lines, all in SQL: a run
    over a million lines never brings them into memory."""
    owed = func.sum(case((JournalLineRow.amount < 0, -JournalLineRow.amount), else_=0))
    deducted = func.sum(case((JournalLineRow.amount > 0, JournalLineRow.amount), else_=0))
    totals = _open_lines(run.ends_on).add_columns(
        JournalLineRow.party_id, owed, deducted, func.count()
    )
    statements = [
        {
            "id": new_id("sst"),
            "run_id": run.id,
            "supplier_id": party,
            "owed": int(got),
            "deductions": int(less),
            "net": int(got) - int(less),
            "currency": CURRENCY,
            "line_count": int(count),
        }
        for party, got, less, count in session.execute(
            totals.group_by(JournalLineRow.party_id).order_by(JournalLineRow.party_id)
        )
        if int(got) > int(less)
    ]
    if not statements:
        return
    session.execute(insert(STATEMENTS), statements)
    kind = case(
        (JournalEntryRow.event == PENALTY_EVENT, literal("penalty")),
        (JournalEntryRow.event == SALE_EVENT, literal("sale")),
        (JournalEntryRow.event == REVERSAL_EVENT, literal("reversal")),
        else_=literal("receipt"),
    )
    lines = (
        _open_lines(run.ends_on)
        .join(
            SettlementStatementRow,
            (SettlementStatementRow.supplier_id == JournalLineRow.party_id)
            & (SettlementStatementRow.run_id == run.id),
        )
        .add_columns(
            SettlementStatementRow.id,
            JournalLineRow.id,
            kind,
            JournalEntryRow.document_type,
            JournalEntryRow.document_id,
            JournalEntryRow.posted_on,
            -JournalLineRow.amount,
            JournalLineRow.memo,
        )
    )
    columns = [
        "statement_id",
        "journal_line_id",
        "kind",
        "document_type",
        "document_id",
        "posted_on",
        "amount",
        "memo",
    ]
    session.execute(insert(LINES).from_select(columns, lines))


def _record(
    ctx: Context, run: SettlementRunRow, before: str | None, after: str, note: str = ""
) -> None:
    ctx.session.add(
        SettlementRunHistoryRow(
            run_id=run.id,
            from_state=before,
            to_state=after,
            actor_id=ctx.actor.user_id,
            note=note,
            at=ctx.now(),
        )
    )


# --- approval and payouts -------------------------------------------------------------------


def approve(ctx: Context, run_id: str, bank: BankPayments = SANDBOX) -> SettlementRunRow:
    """Approve a draft run and send its payout batch (one CNY payment per statement).

    Raises:
        InvalidTransition: the run is not a draft (approving twice).
        NoVerifiedBankAccount: a supplier in the run is not verified or its bank account
            number is not one a bank takes; the suppliers are named, nothing is sent.
    """
    ctx.actor.require("settlement.manage")
    run = _run(ctx, run_id)
    if run.state != DRAFT:
        raise InvalidTransition("settlement run", run.state, "approve")
    statements = statements_of(ctx.session, run.id)
    _refuse_unpayable(ctx, statements)
    run.state = APPROVED
    run.approved_by = ctx.actor.user_id
    run.approved_at = ctx.now()
    _record(ctx, run, DRAFT, APPROVED, f"{len(statements)} payments sent")
    for statement in statements:
        _send(ctx, run, statement, bank)
    ctx.session.flush()
    if not statements:
        _mark_paid(ctx, run)
    return run


def _refuse_unpayable(ctx: Context, statements: Sequence[SettlementStatementRow]) -> None:
    unpayable = []
    for statement in statements:
        supplier = parties.supplier_of(ctx.session, statement.supplier_id)
        if supplier.status != "verified":
            unpayable.append(f"{supplier.code} (not verified: {supplier.status})")
        elif problem := account_problem(supplier.bank_account_number):
            unpayable.append(f"{supplier.code} ({problem})")
    if unpayable:
        raise NoVerifiedBankAccount(
            "cannot pay a supplier without a verified bank account: " + ", ".join(unpayable),
            field="supplier_id",
            suppliers=unpayable,
        )


def _submit(
    ctx: Context,
    run: SettlementRunRow,
    statement: SettlementStatementRow,
    bank: BankPayments,
    key: str,
) -> tuple[Any, BankAnswer]:
    """Send one statement's payment to the supplier's bank account as it is now."""
    supplier = parties.supplier_of(ctx.session, statement.supplier_id)
    answer = bank.submit(
        PaymentInstruction(
            key=key,
            amount=statement.net,
            currency=CURRENCY,
            bank_name=supplier.bank_name,
            account_name=supplier.bank_account_name,
            account_number=supplier.bank_account_number,
            memo=f"settlement {run.cycle}",
        )
    )
    return supplier, answer


def _send(
    ctx: Context, run: SettlementRunRow, statement: SettlementStatementRow, bank: BankPayments
) -> PayoutRow:
    key = f"settlement:{statement.id}"
    supplier, answer = _submit(ctx, run, statement, bank, key)
    payout = PayoutRow(
        id=new_id("pay"),
        run_id=run.id,
        statement_id=statement.id,
        supplier_id=statement.supplier_id,
        amount=statement.net,
        currency=CURRENCY,
        bank_name=supplier.bank_name,
        account_name=supplier.bank_account_name,
        account_number=supplier.bank_account_number,
        key=key,
        state=SENT if answer.accepted else REFUSED,
        bank_reference=answer.reference,
        refusal=answer.refusal,
        sent_at=ctx.now(),
    )
    ctx.session.add(payout)
    return payout


def retry_payout(ctx: Context, statement_id: str, bank: BankPayments = SANDBOX) -> PayoutRow:
    """Send a refused payment again, to the supplier's bank account as it is now (fixed and
    verified again since). The refused instruction is kept with its reason; the new one goes
    under a new idempotency key, so the bank sees a new payment, not a replay of the refusal.

    Raises:
        NotFound: no such statement (a supplier's user: not its own).
        InvalidTransition: the statement's payment was not refused (sent or confirmed).
        NoVerifiedBankAccount: the supplier is still not verified or its account number
            still not one a bank takes; nothing is sent.
    """
    statement = ctx.session.get(SettlementStatementRow, statement_id)
    if statement is None or not _may_see(ctx, statement.supplier_id):
        raise NotFound(f"no statement {statement_id!r}", field="statement_id")
    ctx.actor.require("settlement.manage")
    payout = ctx.session.scalar(select(PayoutRow).where(PayoutRow.statement_id == statement.id))
    if payout is None or payout.state != REFUSED:
        raise InvalidTransition("payout", payout.state if payout else "not sent", "retry")
    run = _run(ctx, statement.run_id)
    _refuse_unpayable(ctx, [statement])
    refused_before = ctx.session.scalar(
        select(func.count()).where(PayoutRefusalRow.payout_id == payout.id)
    )
    ctx.session.add(
        PayoutRefusalRow(
            payout_id=payout.id,
            key=payout.key,
            bank_name=payout.bank_name,
            account_name=payout.account_name,
            account_number=payout.account_number,
            refusal=payout.refusal,
            sent_at=payout.sent_at,
            retried_by=ctx.actor.user_id,
            retried_at=ctx.now(),
        )
    )
    key = f"settlement:{statement.id}:retry{int(refused_before or 0) + 1}"
    supplier, answer = _submit(ctx, run, statement, bank, key)
    payout.key = key
    payout.bank_name = supplier.bank_name
    payout.account_name = supplier.bank_account_name
    payout.account_number = supplier.bank_account_number
    payout.state = SENT if answer.accepted else REFUSED
    payout.bank_reference = answer.reference
    payout.refusal = answer.refusal
    payout.sent_at = ctx.now()
    outcome = "sent" if answer.accepted else f"refused again: {answer.refusal}"
    _record(ctx, run, run.state, run.state, f"payment to {supplier.code} retried, {outcome}")
    ctx.session.flush()
    return payout


def refusals_of(session: Session, run_id: str) -> list[PayoutRefusalRow]:
    """The refused attempts of a run's payouts, oldest first."""
    query = (
        select(PayoutRefusalRow)
        .join(PayoutRow, PayoutRow.id == PayoutRefusalRow.payout_id)
        .where(PayoutRow.run_id == run_id)
    )
    return list(session.scalars(query.order_by(PayoutRefusalRow.id)))


def confirm_payouts(ctx: Context, run_id: str, bank: BankPayments = SANDBOX) -> list[PayoutRow]:
    """Ask the bank about each payment sent; each one confirmed posts Dr supplier payables /
    Cr bank CNY and settles the statement's penalties. The run is paid when all are."""
    ctx.actor.require("settlement.manage")
    run = _run(ctx, run_id)
    if run.state != APPROVED:
        raise InvalidTransition("settlement run", run.state, "confirm payouts of")
    done = []
    for payout in payouts_of(ctx.session, run.id):
        if payout.state == SENT and payout.bank_reference and bank.confirmed(payout.bank_reference):
            _book(ctx, run, payout)
            done.append(payout)
    states = {payout.state for payout in payouts_of(ctx.session, run.id)}
    if states <= {CONFIRMED}:
        _mark_paid(ctx, run)
    ctx.session.flush()
    return done


def _book(ctx: Context, run: SettlementRunRow, payout: PayoutRow) -> None:
    entry = ledger.post(
        ctx,
        [
            Line(PAYABLES, payout.amount, CURRENCY, f"paid {run.cycle}", payout.supplier_id),
            Line(BANK, -payout.amount, CURRENCY, f"payout {payout.bank_reference}"),
        ],
        description=f"settlement {run.cycle}: payout {payout.bank_reference}",
        document_type="payout",
        document_id=payout.id,
        event=PAYOUT_EVENT,
        event_key=f"{PAYOUT_EVENT}:{payout.id}",
    )
    payout.state = CONFIRMED
    payout.confirmed_at = ctx.now()
    payout.journal_entry_id = entry.id
    penalty_ids = list(
        ctx.session.scalars(
            select(SettlementLineRow.document_id).where(
                SettlementLineRow.statement_id == payout.statement_id,
                SettlementLineRow.kind == "penalty",
            )
        )
    )
    events.publish(
        ctx,
        "settlement.paid",
        statement_id=payout.statement_id,
        supplier_id=payout.supplier_id,
        penalty_ids=penalty_ids,
    )


def _mark_paid(ctx: Context, run: SettlementRunRow) -> None:
    _record(ctx, run, run.state, PAID, "every payment confirmed by the bank")
    run.state = PAID
    run.paid_at = ctx.now()


# --- reading --------------------------------------------------------------------------------


def _run(ctx: Context, run_id: str) -> SettlementRunRow:
    run = ctx.session.get(SettlementRunRow, run_id)
    if run is None:
        raise NotFound(f"no settlement run {run_id!r}", field="run_id")
    return run


def get_run(ctx: Context, run_id: str) -> SettlementRunRow:
    ctx.actor.require("settlement.manage")
    return _run(ctx, run_id)


def list_runs(ctx: Context, limit: int = 50, offset: int = 0) -> list[SettlementRunRow]:
    ctx.actor.require("settlement.manage")
    query = select(SettlementRunRow).order_by(SettlementRunRow.cycle.desc())
    return list(ctx.session.scalars(query.limit(limit).offset(offset)))


def history_of(session: Session, run_id: str) -> list[SettlementRunHistoryRow]:
    query = select(SettlementRunHistoryRow).where(SettlementRunHistoryRow.run_id == run_id)
    return list(session.scalars(query.order_by(SettlementRunHistoryRow.id)))


def statements_of(session: Session, run_id: str) -> list[SettlementStatementRow]:
    query = select(SettlementStatementRow).where(SettlementStatementRow.run_id == run_id)
    return list(session.scalars(query.order_by(SettlementStatementRow.supplier_id)))


def payouts_of(session: Session, run_id: str) -> list[PayoutRow]:
    query = select(PayoutRow).where(PayoutRow.run_id == run_id)
    return list(session.scalars(query.order_by(PayoutRow.supplier_id)))


@dataclass(frozen=True)
class StatementView:
    statement: SettlementStatementRow
    run: SettlementRunRow
    lines: list[SettlementLineRow]
    payout: PayoutRow | None
    supplier_code: str
    supplier_name: str


def get_statement(ctx: Context, statement_id: str) -> StatementView:
    """A statement with its lines; a supplier sees only its own (NotFound otherwise)."""
    ctx.actor.require("settlement.read")
    row = ctx.session.get(SettlementStatementRow, statement_id)
    if row is None or not _may_see(ctx, row.supplier_id):
        raise NotFound(f"no statement {statement_id!r}", field="statement_id")
    lines = ctx.session.scalars(
        select(SettlementLineRow)
        .where(SettlementLineRow.statement_id == row.id)
        .order_by(SettlementLineRow.posted_on, SettlementLineRow.id)
    )
    payout = ctx.session.scalar(select(PayoutRow).where(PayoutRow.statement_id == row.id))
    supplier = parties.supplier_of(ctx.session, row.supplier_id)
    return StatementView(
        row,
        ctx.session.get_one(SettlementRunRow, row.run_id),
        list(lines),
        payout,
        supplier.code,
        supplier.legal_name_en or supplier.legal_name,
    )


def _may_see(ctx: Context, supplier_id: str) -> bool:
    return ctx.actor.is_operator or ctx.actor.supplier_id == supplier_id


def _scope(ctx: Context, supplier_id: str | None) -> str | None:
    """Which supplier a listing shows: a supplier's user only its own."""
    ctx.actor.require("settlement.read")
    if not ctx.actor.is_operator:
        if supplier_id and supplier_id != ctx.actor.supplier_id:
            raise NotFound("no such supplier", field="supplier_id")
        return ctx.actor.supplier_id or "-"
    return supplier_id


def statements_for(
    ctx: Context, supplier_id: str | None = None, limit: int = 50, offset: int = 0
) -> list[tuple[SettlementStatementRow, SettlementRunRow]]:
    """Statements, newest cycle first (a supplier's user: its own)."""
    scope = _scope(ctx, supplier_id)
    query = select(SettlementStatementRow, SettlementRunRow).join(
        SettlementRunRow, SettlementRunRow.id == SettlementStatementRow.run_id
    )
    if scope:
        query = query.where(SettlementStatementRow.supplier_id == scope)
    query = query.order_by(SettlementRunRow.cycle.desc(), SettlementStatementRow.supplier_id)
    return [(s, r) for s, r in ctx.session.execute(query.limit(limit).offset(offset))]


def payouts_for(
    ctx: Context, supplier_id: str | None = None, limit: int = 50, offset: int = 0
) -> list[PayoutRow]:
    scope = _scope(ctx, supplier_id)
    query = select(PayoutRow)
    if scope:
        query = query.where(PayoutRow.supplier_id == scope)
    query = query.order_by(PayoutRow.sent_at.desc(), PayoutRow.id)
    return list(ctx.session.scalars(query.limit(limit).offset(offset)))


@dataclass(frozen=True)
class Pending:
    supplier_id: str
    payable: int  # fen the platform owes now, per the ledger (in statements or not yet)
    unsettled: int  # fen of that no statement has taken yet
    currency: str = CURRENCY


def pending_for(ctx: Context, supplier_id: str) -> Pending:
    scope = _scope(ctx, supplier_id)
    assert scope is not None
    payable = ctx.session.scalar(
        select(func.coalesce(func.sum(JournalLineRow.amount), 0)).where(
            JournalLineRow.account_code == PAYABLES, JournalLineRow.party_id == scope
        )
    )
    open_lines = _open_lines(date.max).add_columns(
        func.coalesce(func.sum(JournalLineRow.amount), 0)
    )
    unsettled = ctx.session.scalar(open_lines.where(JournalLineRow.party_id == scope))
    return Pending(scope, -int(payable or 0), -int(unsettled or 0))


# --- the check ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mismatch:
    statement_id: str
    cycle: str
    supplier_id: str
    detail: str


def check(session: Session) -> list[Mismatch]:
    """Every statement equals its ledger lines to the fen: each line is the negated amount of
    a supplier-payables line of the statement's supplier, and the statement's owed,
    deductions and net are their sums. Empty when all hold."""
    journal = JournalLineRow
    line = SettlementLineRow
    per_statement = (
        select(
            line.statement_id,
            func.sum(case((journal.amount < 0, -journal.amount), else_=0)),
            func.sum(case((journal.amount > 0, journal.amount), else_=0)),
            func.sum(line.amount),
            func.count(),
            func.sum(
                case(
                    (
                        (journal.amount != -line.amount)
                        | (journal.account_code != PAYABLES)
                        | (journal.party_id != SettlementStatementRow.supplier_id)
                        | journal.party_id.is_(None),
                        1,
                    ),
                    else_=0,
                )
            ),
        )
        .join(journal, journal.id == line.journal_line_id)
        .join(SettlementStatementRow, SettlementStatementRow.id == line.statement_id)
        .group_by(line.statement_id)
    )
    found = {
        statement_id: (int(owed), int(less), int(total), int(count), int(bad))
        for statement_id, owed, less, total, count, bad in session.execute(per_statement)
    }
    mismatches = []
    query = select(SettlementStatementRow, SettlementRunRow.cycle).join(
        SettlementRunRow, SettlementRunRow.id == SettlementStatementRow.run_id
    )
    for statement, cycle in session.execute(query.order_by(SettlementRunRow.cycle)):
        owed, less, total, count, bad = found.get(statement.id, (0, 0, 0, 0, 0))
        problems = []
        if bad:
            problems.append(f"{bad} lines differ from their ledger lines")
        if (owed, less) != (statement.owed, statement.deductions):
            problems.append(
                f"owed/deductions {statement.owed}/{statement.deductions} fen, ledger {owed}/{less}"
            )
        if total != statement.net or statement.net != statement.owed - statement.deductions:
            problems.append(f"net {statement.net} fen, ledger lines sum to {total}")
        if count != statement.line_count:
            problems.append(f"{statement.line_count} lines stated, {count} found")
        if problems:
            mismatches.append(
                Mismatch(statement.id, cycle, statement.supplier_id, "; ".join(problems))
            )
    return mismatches
