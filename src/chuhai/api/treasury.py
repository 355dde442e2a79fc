"""Treasury over HTTP: the FX exposure report (with value at risk), the hedge book of FX
forwards (book, settle at maturity, cancel) and period-end revaluations. Finance and
admin only (treasury.read / treasury.manage)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from chuhai.api.deps import api_context
from chuhai.api.idempotency import run_idempotent
from chuhai.api.schemas import MoneyOut, Strict
from chuhai.core.context import Context
from chuhai.finance import exposure, hedges, revaluation
from chuhai.finance.fx import rate_text
from chuhai.inventory.commitments import committed_purchases

if TYPE_CHECKING:
    from chuhai.finance.tables import ForwardContractRow, RevaluationRow

router = APIRouter(prefix="/treasury", tags=["treasury"])
CNY = "CNY"


class CurrencyExposureOut(BaseModel):
    currency: str
    receivables: MoneyOut
    cash: MoneyOut
    payables: MoneyOut
    committed: MoneyOut
    before_hedges: MoneyOut
    hedges: MoneyOut
    net: MoneyOut
    rate: str  # currency→CNY on the day
    rate_on: date
    rate_source: str
    net_cny_before_hedges: MoneyOut
    net_cny: MoneyOut


class VarOut(BaseModel):
    method: str
    scenarios: int
    lookback_days: int
    window_first_day: date | None
    window_last_day: date | None
    one_day_95: MoneyOut
    one_day_99: MoneyOut
    ten_day_95: MoneyOut
    ten_day_99: MoneyOut


class ExposureOut(BaseModel):
    on: date
    currencies: list[CurrencyExposureOut]
    net_cny_before_hedges: MoneyOut
    net_cny: MoneyOut
    var_before_hedges: VarOut
    var_after_hedges: VarOut
    no_rate_history: list[str]


METHOD = (
    "historical simulation over ECB reference rates: daily moves of each currency against "
    "CNY applied to the net CNY value of the positions; 1-day VaR is the loss of the "
    "k-th worst scenario (k = ceil(n × (1 − confidence))); 10-day = 1-day × √10"
)


def _var_out(var: exposure.ValueAtRisk) -> VarOut:
    def fen(table: dict[str, int], label: str) -> MoneyOut:
        return MoneyOut.of(table.get(label, 0), CNY)

    return VarOut(
        method=METHOD,
        scenarios=var.scenarios,
        lookback_days=var.lookback,
        window_first_day=var.first_day,
        window_last_day=var.last_day,
        one_day_95=fen(var.one_day, "95"),
        one_day_99=fen(var.one_day, "99"),
        ten_day_95=fen(var.ten_day, "95"),
        ten_day_99=fen(var.ten_day, "99"),
    )


def exposure_out(report: exposure.ExposureReport) -> ExposureOut:
    return ExposureOut(
        on=report.on,
        currencies=[
            CurrencyExposureOut(
                currency=row.currency,
                receivables=MoneyOut.of(row.receivables, row.currency),
                cash=MoneyOut.of(row.cash, row.currency),
                payables=MoneyOut.of(row.payables, row.currency),
                committed=MoneyOut.of(row.committed, row.currency),
                before_hedges=MoneyOut.of(row.before_hedges, row.currency),
                hedges=MoneyOut.of(row.hedges, row.currency),
                net=MoneyOut.of(row.net, row.currency),
                rate=rate_text(row.rate.rate),
                rate_on=row.rate.on,
                rate_source=row.rate.source,
                net_cny_before_hedges=MoneyOut.of(row.net_cny_before, CNY),
                net_cny=MoneyOut.of(row.net_cny, CNY),
            )
            for row in report.rows
        ],
        net_cny_before_hedges=MoneyOut.of(report.net_cny_before, CNY),
        net_cny=MoneyOut.of(report.net_cny, CNY),
        var_before_hedges=_var_out(report.var_before),
        var_after_hedges=_var_out(report.var_after),
        no_rate_history=report.no_history,
    )


@router.get("/exposure", response_model=ExposureOut)
def get_exposure(
    on: date | None = None,
    lookback: int = exposure.DEFAULT_LOOKBACK,
    ctx: Context = Depends(api_context),
) -> ExposureOut:
    """Exposure by currency on `on` (today), with committed purchases and hedges."""
    ctx.actor.require("treasury.read")
    report = exposure.report(ctx, on, committed=committed_purchases(ctx.session), lookback=lookback)
    return exposure_out(report)


# --- hedges ---------------------------------------------------------------------------------


class ForwardIn(Strict):
    counterparty: str = Field(max_length=200)
    sell_currency: str = Field(max_length=3)
    buy_currency: str = Field(max_length=3)
    notional: str = Field(max_length=40, description="in the foreign currency, e.g. 10000.00")
    contract_rate: str = Field(max_length=40, description="foreign→CNY, e.g. 7.1234")
    trade_date: date
    value_date: date


class NoteIn(Strict):
    note: str = Field("", max_length=2000)


class ReasonIn(Strict):
    reason: str = Field(max_length=2000)


class HistoryOut(BaseModel):
    from_state: str | None
    to_state: str
    actor_id: str
    note: str
    at: datetime


class ForwardOut(BaseModel):
    id: str
    counterparty: str
    direction: str  # sell | buy the foreign currency
    sell_currency: str
    buy_currency: str
    notional: MoneyOut
    contract_rate: str
    trade_date: date
    value_date: date
    state: str
    journal_entry_id: str | None
    mtm: MoneyOut | None  # today, with spot as the forward-rate estimate
    mtm_spot: str | None
    history: list[HistoryOut]


def forward_out(ctx: Context, row: ForwardContractRow, on: date | None = None) -> ForwardOut:
    marked = hedges.mark(ctx, row, on or ctx.now().date()) if row.state == hedges.OPEN else None
    sell, buy = (row.currency, CNY) if row.direction == hedges.SELL else (CNY, row.currency)
    return ForwardOut(
        id=row.id,
        counterparty=row.counterparty,
        direction=row.direction,
        sell_currency=sell,
        buy_currency=buy,
        notional=MoneyOut.of(row.notional, row.currency),
        contract_rate=row.contract_rate,
        trade_date=row.trade_date,
        value_date=row.value_date,
        state=row.state,
        journal_entry_id=row.journal_entry_id,
        mtm=MoneyOut.of(marked.mtm, CNY) if marked else None,
        mtm_spot=marked.spot.describe() if marked else None,
        history=[
            HistoryOut(
                from_state=h.from_state,
                to_state=h.to_state,
                actor_id=h.actor_id,
                note=h.note,
                at=h.at,
            )
            for h in hedges.history_of(ctx.session, row.id)
        ],
    )


@router.get("/hedges", response_model=list[ForwardOut])
def list_hedges(
    state: str | None = None, on: date | None = None, ctx: Context = Depends(api_context)
) -> list[ForwardOut]:
    """The hedge book; open forwards marked to market on `on` (today)."""
    return [forward_out(ctx, row, on) for row in hedges.list_forwards(ctx, state)]


@router.post("/hedges", status_code=201, response_model=ForwardOut)
def book_forward(
    body: ForwardIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    ctx.actor.require("treasury.manage")
    draft = hedges.ForwardDraft(**body.model_dump())
    return run_idempotent(
        ctx, request, idempotency_key, body, lambda: forward_out(ctx, hedges.book(ctx, draft))
    )


@router.get("/hedges/{forward_id}", response_model=ForwardOut)
def get_hedge(forward_id: str, ctx: Context = Depends(api_context)) -> ForwardOut:
    return forward_out(ctx, hedges.get(ctx, forward_id))


@router.post("/hedges/{forward_id}/settle", response_model=ForwardOut)
def settle_hedge(
    forward_id: str, body: NoteIn | None = None, ctx: Context = Depends(api_context)
) -> ForwardOut:
    """Settle at maturity: the conversion posts at the contract rate; 409 before the value
    date or when the forward is not open."""
    row = hedges.settle(ctx, forward_id, body.note if body else "")
    out = forward_out(ctx, row)
    ctx.session.commit()
    return out


@router.post("/hedges/{forward_id}/cancel", response_model=ForwardOut)
def cancel_hedge(
    forward_id: str, body: ReasonIn, ctx: Context = Depends(api_context)
) -> ForwardOut:
    row = hedges.cancel(ctx, forward_id, body.reason)
    out = forward_out(ctx, row)
    ctx.session.commit()
    return out


# --- revaluations ---------------------------------------------------------------------------


class RevaluationIn(Strict):
    period: str = Field(max_length=20, description="a month, YYYY-MM")


class RevaluationOut(BaseModel):
    period: str
    entry_id: str | None
    reversal_id: str | None
    unrealised: MoneyOut
    hedge_result: MoneyOut
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, row: RevaluationRow) -> RevaluationOut:
        return cls(
            period=row.period,
            entry_id=row.entry_id,
            reversal_id=row.reversal_id,
            unrealised=MoneyOut.of(row.unrealised, CNY),
            hedge_result=MoneyOut.of(row.hedge_result, CNY),
            created_by=row.created_by,
            created_at=row.created_at,
        )


@router.post("/revaluations", status_code=201, response_model=RevaluationOut)
def revalue(
    body: RevaluationIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    """Revalue a month: posted on its last day, reversed on the next month's first; a month
    already revalued returns the first revaluation."""
    ctx.actor.require("treasury.manage")
    return run_idempotent(
        ctx,
        request,
        idempotency_key,
        body,
        lambda: RevaluationOut.of(revaluation.revalue(ctx, body.period)),
    )


@router.get("/revaluations", response_model=list[RevaluationOut])
def list_revaluations(ctx: Context = Depends(api_context)) -> list[RevaluationOut]:
    return [RevaluationOut.of(row) for row in revaluation.list_revaluations(ctx)]
