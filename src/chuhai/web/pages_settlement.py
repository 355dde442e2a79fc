"""Console pages of supplier settlement. Finance runs a week, reads each run's statements
and approves it (the payout batch goes to the bank), then confirms the payouts; a
supplier's user sees its own statements (with CSV and PDF), payouts and what is pending."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, Response

from chuhai.core.errors import ChuhaiError
from chuhai.finance import settlement
from chuhai.finance import statement_documents as documents
from chuhai.web.console import Page, error_message, form_page, page_context, redirect, render

router = APIRouter(include_in_schema=False)


@router.get("/settlements", response_class=HTMLResponse)
def settlements_home(page: Page = Depends(page_context)) -> HTMLResponse:
    ctx = page.ctx
    ctx.actor.require("settlement.read")
    manager = ctx.actor.can("settlement.manage")
    supplier_id = ctx.actor.supplier_id
    return render(
        page,
        "settlement/index.html",
        runs=settlement.list_runs(ctx) if manager else [],
        manager=manager,
        statements=settlement.statements_for(ctx),
        payouts=settlement.payouts_for(ctx),
        pending=settlement.pending_for(ctx, supplier_id) if supplier_id else None,
        week=ctx.now().strftime("%G-W%V"),
    )


@router.post("/settlements")
def run_cycle(page: Page = Depends(form_page), cycle: str = Form("")) -> Response:
    try:
        run = settlement.run_cycle(page.ctx, cycle)
    except ChuhaiError as error:
        page.ctx.session.rollback()
        return redirect("/settlements", error=error_message(error))
    page.ctx.session.commit()
    return redirect(f"/settlements/runs/{run.id}", notice=f"Settlement run for {run.cycle}")


@router.get("/settlements/runs/{run_id}", response_class=HTMLResponse)
def run_page(run_id: str, page: Page = Depends(page_context)) -> HTMLResponse:
    ctx = page.ctx
    run = settlement.get_run(ctx, run_id)
    statements = settlement.statements_of(ctx.session, run.id)
    return render(
        page,
        "settlement/run.html",
        run=run,
        statements=statements,
        total=sum(s.net for s in statements),
        payouts={p.statement_id: p for p in settlement.payouts_of(ctx.session, run.id)},
        history=settlement.history_of(ctx.session, run.id),
        refusals=settlement.refusals_of(ctx.session, run.id),
    )


@router.post("/settlements/runs/{run_id}/approve")
def approve(run_id: str, page: Page = Depends(form_page)) -> Response:
    return _act(page, run_id, "approved; payouts sent", settlement.approve)


@router.post("/settlements/runs/{run_id}/confirm-payouts")
def confirm_payouts(run_id: str, page: Page = Depends(form_page)) -> Response:
    return _act(page, run_id, "payouts confirmed with the bank", settlement.confirm_payouts)


@router.post("/settlements/statements/{statement_id}/retry-payout")
def retry_payout(statement_id: str, page: Page = Depends(form_page)) -> Response:
    """Send a refused payment again, once the supplier's bank account is fixed."""
    try:
        payout = settlement.retry_payout(page.ctx, statement_id)
    except ChuhaiError as error:
        page.ctx.session.rollback()
        return redirect("/settlements", error=error_message(error))
    page.ctx.session.commit()
    outcome = "sent" if payout.state == "sent" else f"refused again: {payout.refusal}"
    return redirect(f"/settlements/runs/{payout.run_id}", notice=f"Payment {outcome}.")


def _act(page: Page, run_id: str, done: str, action) -> Response:  # type: ignore[no-untyped-def]
    url = f"/settlements/runs/{run_id}"
    try:
        action(page.ctx, run_id)
    except ChuhaiError as error:
        page.ctx.session.rollback()
        return redirect(url, error=error_message(error))
    page.ctx.session.commit()
    return redirect(url, notice=f"Run {done}.")


@router.get("/settlements/statements/{statement_id}", response_class=HTMLResponse)
def statement_page(statement_id: str, page: Page = Depends(page_context)) -> HTMLResponse:
    view = settlement.get_statement(page.ctx, statement_id)
    return render(page, "settlement/statement.html", v=view)


@router.get("/settlements/statements/{statement_id}/csv")
def statement_csv(statement_id: str, page: Page = Depends(page_context)) -> Response:
    view = settlement.get_statement(page.ctx, statement_id)
    return Response(
        documents.statement_csv(view),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{statement_id}.csv"'},
    )


@router.get("/settlements/statements/{statement_id}/pdf")
def statement_pdf(statement_id: str, page: Page = Depends(page_context)) -> Response:
    view = settlement.get_statement(page.ctx, statement_id)
    return Response(documents.statement_pdf(view), media_type="application/pdf")
