"""Console page of treasury: the FX exposure by currency before and after hedges with its
value at risk, the hedge book (book a forward, settle at maturity, cancel) marked to market
with spot as the forward-rate estimate, and period-end revaluation."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, Response

from chuhai.core.context import Context
from chuhai.core.errors import ChuhaiError, ValidationFailed
from chuhai.core.ids import new_id
from chuhai.finance import exposure, hedges, revaluation
from chuhai.inventory.commitments import committed_purchases
from chuhai.web.console import Page, error_message, form_page, page_context, redirect, render

router = APIRouter(include_in_schema=False)
URL = "/treasury"


@router.get(URL, response_class=HTMLResponse)
def treasury_home(page: Page = Depends(page_context), on: str = "") -> HTMLResponse:
    ctx = page.ctx
    ctx.actor.require("treasury.read")
    day = _day(on, "on") if on else ctx.now().date()
    report, problem = _exposure(ctx, day)
    return render(
        page,
        "treasury/index.html",
        on=day,
        report=report,
        problem=problem,
        book=[(row, _marked(ctx, row, day)) for row in hedges.list_forwards(ctx)],
        revaluations=revaluation.list_revaluations(ctx),
        manager=ctx.actor.can("treasury.manage"),
        form_key=new_id("form"),
        today=ctx.now().date(),
    )


def _exposure(ctx: Context, day: date) -> tuple[exposure.ExposureReport | None, str | None]:
    """The report, or why there is none (a stale rate names the pair): the rest still shows."""
    try:
        return exposure.report(ctx, day, committed=committed_purchases(ctx.session)), None
    except ChuhaiError as error:
        return None, error_message(error)


def _marked(ctx: Context, row: Any, day: date) -> hedges.Marked | str | None:
    if row.state != hedges.OPEN:
        return None
    try:
        return hedges.mark(ctx, row, day)
    except ChuhaiError as error:
        return error_message(error)


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed.one(field, f"a date as YYYY-MM-DD, got {text!r}") from None


@router.post(f"{URL}/hedges")
def book_forward(
    page: Page = Depends(form_page),
    counterparty: str = Form(""),
    sell_currency: str = Form(""),
    buy_currency: str = Form(""),
    notional: str = Form(""),
    contract_rate: str = Form(""),
    trade_date: str = Form(""),
    value_date: str = Form(""),
    form_key: str = Form(""),
) -> Response:
    try:
        draft = hedges.ForwardDraft(
            counterparty=counterparty,
            sell_currency=sell_currency.strip().upper(),
            buy_currency=buy_currency.strip().upper(),
            notional=notional,
            contract_rate=contract_rate,
            trade_date=_day(trade_date, "trade_date"),
            value_date=_day(value_date, "value_date"),
        )
        row = hedges.book(page.ctx, draft, key=f"console:{form_key}" if form_key else None)
    except ChuhaiError as error:
        page.ctx.session.rollback()
        return redirect(URL, error=error_message(error))
    page.ctx.session.commit()
    return redirect(URL, notice=f"Forward {row.id} booked.")


@router.post(URL + "/hedges/{forward_id}/settle")
def settle_forward(forward_id: str, page: Page = Depends(form_page)) -> Response:
    return _act(page, lambda: hedges.settle(page.ctx, forward_id), f"Forward {forward_id} settled.")


@router.post(URL + "/hedges/{forward_id}/cancel")
def cancel_forward(
    forward_id: str, page: Page = Depends(form_page), reason: str = Form("")
) -> Response:
    return _act(
        page,
        lambda: hedges.cancel(page.ctx, forward_id, reason),
        f"Forward {forward_id} cancelled.",
    )


@router.post(f"{URL}/revaluations")
def revalue(page: Page = Depends(form_page), period: str = Form("")) -> Response:
    return _act(
        page, lambda: revaluation.revalue(page.ctx, period.strip()), f"{period.strip()} revalued."
    )


def _act(page: Page, action: Any, done: str) -> Response:
    try:
        action()
    except ChuhaiError as error:
        page.ctx.session.rollback()
        return redirect(URL, error=error_message(error))
    page.ctx.session.commit()
    return redirect(URL, notice=done)
