"""Console page of replenishment: the open proposals with their evidence, a button to
compute them afresh, and checkboxes to approve many at once into stock-up orders and
transfers."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, Response

from chuhai.catalog import service as catalog
from chuhai.core.errors import ChuhaiError
from chuhai.demand import replenishment
from chuhai.web.console import Page, error_message, form_page, page_context, redirect, render

router = APIRouter(include_in_schema=False)


@router.get("/replenishment", response_class=HTMLResponse)
def replenishment_home(page: Page = Depends(page_context)) -> HTMLResponse:
    ctx = page.ctx
    proposals = replenishment.list_proposals(ctx, limit=200).items
    return render(
        page,
        "replenishment/index.html",
        proposals=proposals,
        sku_codes=catalog.sku_codes(ctx.session, [p.sku_id for p in proposals]),
        run=replenishment.latest_run(ctx),
        approver=ctx.actor.can("replenishment.approve"),
    )


@router.post("/replenishment/compute")
def compute(page: Page = Depends(form_page)) -> Response:
    try:
        result = replenishment.compute(page.ctx)
    except ChuhaiError as error:
        page.ctx.session.rollback()
        return redirect("/replenishment", error=error_message(error))
    page.ctx.session.commit()
    return redirect("/replenishment", notice=f"{len(result.proposals)} proposals computed")


@router.post("/replenishment/approve")
def approve(page: Page = Depends(form_page), ids: list[str] = Form([])) -> Response:
    try:
        made = replenishment.approve(page.ctx, ids)
    except ChuhaiError as error:
        page.ctx.session.rollback()
        return redirect("/replenishment", error=error_message(error))
    page.ctx.session.commit()
    notice = (
        f"Approved: {len(made.stock_up_order_ids)} stock-up orders, "
        f"{len(made.transfer_ids)} transfers"
    )
    return redirect("/replenishment", notice=notice)
