"""Console pages of B2B credit (9710): finance sees each buyer's limit, exposure and
headroom, approves or rejects the invoices held beyond a limit (saying why), marks overdue
invoices, claims them from the insurer after the waiting period and records the insurer's
payment."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, Response

from chuhai.core.context import Context
from chuhai.core.errors import ChuhaiError
from chuhai.core.money import Money
from chuhai.finance import credit
from chuhai.parties import service as parties
from chuhai.web.console import Page, error_message, form_page, page_context, redirect, render

router = APIRouter(include_in_schema=False)
HOME = "/credit"


@router.get("/credit", response_class=HTMLResponse)
def credit_home(page: Page = Depends(page_context)) -> HTMLResponse:
    ctx = page.ctx
    positions = credit.positions(ctx)
    return render(
        page,
        "credit/index.html",
        manager=ctx.actor.can("credit.manage"),
        positions=positions,
        buyers={p.buyer.id: p.buyer.name for p in positions},
        held=credit.list_invoices(ctx, state=credit.HELD),
        overdue=credit.list_invoices(ctx, state=credit.OVERDUE),
        claims=credit.list_invoices(ctx, state=credit.CLAIMED)
        + credit.list_invoices(ctx, state=credit.CLAIM_PAID),
        open_invoices=[
            invoice
            for state in (credit.ISSUED, credit.PARTLY_PAID)
            for invoice in credit.list_invoices(ctx, state=state)
        ],
        outstanding=credit.outstanding,
    )


@router.get("/credit/invoices/{invoice_id}", response_class=HTMLResponse)
def invoice_page(invoice_id: str, page: Page = Depends(page_context)) -> HTMLResponse:
    ctx = page.ctx
    invoice = credit.get_invoice(ctx, invoice_id)
    history = credit.history_of(ctx, invoice.id)
    return render(
        page,
        "credit/invoice.html",
        i=invoice,
        buyer=credit.get_buyer(ctx, invoice.buyer_id),
        lines=credit.lines_of(ctx, invoice.id),
        history=history,
        names=parties.display_names(ctx.session, [h.actor_id for h in history]),
        payments=credit.payments_of(ctx, invoice.id),
        outstanding=credit.outstanding(invoice),
        manager=ctx.actor.can("credit.manage"),
    )


@router.post("/credit/invoices/{invoice_id}/payments")
def record_payment(
    invoice_id: str,
    page: Page = Depends(form_page),
    amount: str = Form(""),
    settle_in_cny: bool = Form(False),
) -> Response:
    ctx = page.ctx
    url = f"/credit/invoices/{invoice_id}"
    try:
        invoice = credit.get_invoice(ctx, invoice_id)
        money = Money.parse(amount, invoice.currency, "amount")
        credit.record_payment(ctx, invoice_id, money, settle_in_cny=settle_in_cny)
    except ChuhaiError as error:
        ctx.session.rollback()
        return redirect(url, error=error_message(error))
    ctx.session.commit()
    return redirect(url, notice=f"Payment of {money} recorded.")


@router.post("/credit/invoices/{invoice_id}/approve")
def approve(invoice_id: str, page: Page = Depends(form_page), reason: str = Form("")) -> Response:
    return _act(
        page, f"Invoice {invoice_id} approved and issued.", credit.approve, invoice_id, reason
    )


@router.post("/credit/invoices/{invoice_id}/reject")
def reject(invoice_id: str, page: Page = Depends(form_page), reason: str = Form("")) -> Response:
    return _act(page, f"Invoice {invoice_id} rejected.", credit.reject, invoice_id, reason)


@router.post("/credit/invoices/{invoice_id}/claim")
def claim(
    invoice_id: str, page: Page = Depends(form_page), reason: str = Form("buyer default")
) -> Response:
    return _act(page, f"Claim made on invoice {invoice_id}.", credit.claim, invoice_id, reason)


@router.post("/credit/invoices/{invoice_id}/claim-paid")
def claim_paid(invoice_id: str, page: Page = Depends(form_page)) -> Response:
    return _act(
        page, f"The insurer paid the claim on {invoice_id}.", credit.settle_claim, invoice_id
    )


@router.post("/credit/mark-overdue")
def mark_overdue(page: Page = Depends(form_page)) -> Response:
    try:
        found = credit.mark_overdue(page.ctx)
    except ChuhaiError as error:
        page.ctx.session.rollback()
        return redirect(HOME, error=error_message(error))
    page.ctx.session.commit()
    return redirect(HOME, notice=f"{len(found)} invoice(s) marked overdue.")


def _act(page: Page, done: str, action: Callable[..., object], *args: str) -> Response:
    ctx: Context = page.ctx
    try:
        action(ctx, *args)
    except ChuhaiError as error:
        ctx.session.rollback()
        return redirect(HOME, error=error_message(error))
    ctx.session.commit()
    return redirect(HOME, notice=done)
