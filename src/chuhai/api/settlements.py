"""Supplier settlement over HTTP: runs per ISO week (finance runs and approves them, then
confirms payouts with the bank), statements as JSON, CSV and PDF, payouts and what is
pending. A supplier's user reads only its own statements, payouts and payable; another
supplier's statement answers 404."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from chuhai.api.deps import api_context
from chuhai.api.idempotency import run_idempotent
from chuhai.api.schemas import MoneyOut, Strict
from chuhai.core.context import Context
from chuhai.finance import settlement
from chuhai.finance import statement_documents as documents

if TYPE_CHECKING:
    from chuhai.finance.tables import (
        PayoutRow,
        SettlementRunRow,
        SettlementStatementRow,
    )

router = APIRouter(prefix="/settlements", tags=["settlements"])


class RunIn(Strict):
    cycle: str = Field(max_length=20, description="an ISO week, e.g. 2026-W48")


class PayoutOut(BaseModel):
    id: str
    run_id: str
    statement_id: str
    supplier_id: str
    amount: MoneyOut
    account_name: str
    account_number: str
    state: str  # sent | confirmed | refused
    bank_reference: str | None
    refusal: str
    journal_entry_id: str | None
    sent_at: datetime
    confirmed_at: datetime | None

    @classmethod
    def of(cls, row: PayoutRow) -> PayoutOut:
        return cls(
            id=row.id,
            run_id=row.run_id,
            statement_id=row.statement_id,
            supplier_id=row.supplier_id,
            amount=MoneyOut.of(row.amount, row.currency),
            account_name=row.account_name,
            account_number=row.account_number,
            state=row.state,
            bank_reference=row.bank_reference,
            refusal=row.refusal,
            journal_entry_id=row.journal_entry_id,
            sent_at=row.sent_at,
            confirmed_at=row.confirmed_at,
        )


class StatementSummaryOut(BaseModel):
    id: str
    run_id: str
    cycle: str
    supplier_id: str
    owed: MoneyOut
    deductions: MoneyOut
    net: MoneyOut
    line_count: int

    @classmethod
    def of(cls, row: SettlementStatementRow, cycle: str) -> StatementSummaryOut:
        return cls(
            id=row.id,
            run_id=row.run_id,
            cycle=cycle,
            supplier_id=row.supplier_id,
            owed=MoneyOut.of(row.owed, row.currency),
            deductions=MoneyOut.of(row.deductions, row.currency),
            net=MoneyOut.of(row.net, row.currency),
            line_count=row.line_count,
        )


class StatementLineOut(BaseModel):
    kind: str  # receipt | sale | penalty | reversal
    document_type: str
    document_id: str
    posted_on: date
    amount: MoneyOut  # owed positive, deduction negative
    memo: str


class StatementOut(StatementSummaryOut):
    supplier_code: str
    run_state: str
    lines: list[StatementLineOut]
    payout: PayoutOut | None


class HistoryOut(BaseModel):
    from_state: str | None
    to_state: str
    actor_id: str
    note: str
    at: datetime


class RefusedAttemptOut(BaseModel):
    payout_id: str
    account_number: str
    refusal: str
    sent_at: datetime
    retried_at: datetime


class RunOut(BaseModel):
    id: str
    cycle: str
    starts_on: date
    ends_on: date
    state: str  # draft | approved | paid
    total_net: MoneyOut
    statements: list[StatementSummaryOut]
    payouts: list[PayoutOut]
    refused_attempts: list[RefusedAttemptOut]
    history: list[HistoryOut]


class PendingOut(BaseModel):
    supplier_id: str
    payable: MoneyOut
    not_yet_in_a_statement: MoneyOut


def _run_out(ctx: Context, run: SettlementRunRow) -> RunOut:
    statements = settlement.statements_of(ctx.session, run.id)
    return RunOut(
        id=run.id,
        cycle=run.cycle,
        starts_on=run.starts_on,
        ends_on=run.ends_on,
        state=run.state,
        total_net=MoneyOut.of(sum(s.net for s in statements), run.currency),
        statements=[StatementSummaryOut.of(s, run.cycle) for s in statements],
        payouts=[PayoutOut.of(p) for p in settlement.payouts_of(ctx.session, run.id)],
        refused_attempts=[
            RefusedAttemptOut(
                payout_id=r.payout_id,
                account_number=r.account_number,
                refusal=r.refusal,
                sent_at=r.sent_at,
                retried_at=r.retried_at,
            )
            for r in settlement.refusals_of(ctx.session, run.id)
        ],
        history=[
            HistoryOut(
                from_state=h.from_state,
                to_state=h.to_state,
                actor_id=h.actor_id,
                note=h.note,
                at=h.at,
            )
            for h in settlement.history_of(ctx.session, run.id)
        ],
    )


# --- a supplier's view (declared before /{run_id}) -------------------------------------------


@router.get("/statements", response_model=list[StatementSummaryOut])
def list_statements(
    supplier_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
    ctx: Context = Depends(api_context),
) -> list[StatementSummaryOut]:
    rows = settlement.statements_for(ctx, supplier_id, min(max(limit, 1), 200), max(offset, 0))
    return [StatementSummaryOut.of(s, run.cycle) for s, run in rows]


@router.get("/statements/{statement_id}", response_model=StatementOut)
def get_statement(statement_id: str, ctx: Context = Depends(api_context)) -> StatementOut:
    view = settlement.get_statement(ctx, statement_id)
    summary = StatementSummaryOut.of(view.statement, view.run.cycle)
    return StatementOut(
        **summary.model_dump(),
        supplier_code=view.supplier_code,
        run_state=view.run.state,
        lines=[
            StatementLineOut(
                kind=line.kind,
                document_type=line.document_type,
                document_id=line.document_id,
                posted_on=line.posted_on,
                amount=MoneyOut.of(line.amount, view.statement.currency),
                memo=line.memo,
            )
            for line in view.lines
        ],
        payout=PayoutOut.of(view.payout) if view.payout else None,
    )


@router.get("/statements/{statement_id}/csv")
def statement_csv(statement_id: str, ctx: Context = Depends(api_context)) -> Response:
    view = settlement.get_statement(ctx, statement_id)
    return Response(
        documents.statement_csv(view),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{statement_id}.csv"'},
    )


@router.get("/statements/{statement_id}/pdf")
def statement_pdf(statement_id: str, ctx: Context = Depends(api_context)) -> Response:
    view = settlement.get_statement(ctx, statement_id)
    return Response(
        documents.statement_pdf(view),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{statement_id}.pdf"'},
    )


@router.post("/statements/{statement_id}/retry-payout", response_model=PayoutOut)
def retry_payout(statement_id: str, ctx: Context = Depends(api_context)) -> PayoutOut:
    """Send a payment the bank refused again, to the supplier's bank account as it is now
    (fixed and verified since); the refused instruction is kept with its reason. 409 when
    the payment was not refused or the account is still not payable."""
    out = PayoutOut.of(settlement.retry_payout(ctx, statement_id))
    ctx.session.commit()
    return out


@router.get("/payouts", response_model=list[PayoutOut])
def list_payouts(
    supplier_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
    ctx: Context = Depends(api_context),
) -> list[PayoutOut]:
    rows = settlement.payouts_for(ctx, supplier_id, min(max(limit, 1), 200), max(offset, 0))
    return [PayoutOut.of(row) for row in rows]


@router.get("/pending", response_model=PendingOut)
def pending(supplier_id: str | None = None, ctx: Context = Depends(api_context)) -> PendingOut:
    """What the platform owes a supplier now (a supplier's user: itself)."""
    got = settlement.pending_for(ctx, supplier_id or ctx.actor.supplier_id or "")
    return PendingOut(
        supplier_id=got.supplier_id,
        payable=MoneyOut.of(got.payable, got.currency),
        not_yet_in_a_statement=MoneyOut.of(got.unsettled, got.currency),
    )


# --- finance --------------------------------------------------------------------------------


@router.post("", status_code=201, response_model=RunOut)
def run_cycle(
    body: RunIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    """Run a cycle: computed once as a draft, returned unchanged when asked again; a cycle
    already paid answers 409."""
    ctx.actor.require("settlement.manage")
    return run_idempotent(
        ctx, request, idempotency_key, body, lambda: _run_out(ctx, _run(ctx, body.cycle))
    )


def _run(ctx: Context, cycle: str) -> SettlementRunRow:
    run = settlement.run_cycle(ctx, cycle)
    ctx.session.flush()
    return run


@router.get("", response_model=list[RunOut])
def list_runs(
    limit: int = 50, offset: int = 0, ctx: Context = Depends(api_context)
) -> list[RunOut]:
    runs = settlement.list_runs(ctx, min(max(limit, 1), 200), max(offset, 0))
    return [_run_out(ctx, run) for run in runs]


@router.get("/{run_id}", response_model=RunOut)
def get_run(run_id: str, ctx: Context = Depends(api_context)) -> RunOut:
    return _run_out(ctx, settlement.get_run(ctx, run_id))


@router.post("/{run_id}/approve", response_model=RunOut)
def approve(run_id: str, ctx: Context = Depends(api_context)) -> RunOut:
    """Approve a draft run and send its payout batch through the bank."""
    out = _run_out(ctx, settlement.approve(ctx, run_id))
    ctx.session.commit()
    return out


@router.post("/{run_id}/confirm-payouts", response_model=RunOut)
def confirm_payouts(run_id: str, ctx: Context = Depends(api_context)) -> RunOut:
    """Ask the bank about the payments sent; each confirmed one is booked."""
    settlement.confirm_payouts(ctx, run_id)
    out = _run_out(ctx, settlement.get_run(ctx, run_id))
    ctx.session.commit()
    return out
