"""Console pages for orders: the list (by state and market, searchable), and one order's
page — lines as charged, where the stock was allocated and why, payments and refunds,
shipments with their tracking, returns and the history — with the actions its state
allows: pick, ship, cancel, authorise a return, receive a return.

Actions are POST forms that call one use case of `orders.service`, commit and redirect
back with a notice; a refusal comes back as the error.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm.exc import StaleDataError
from starlette.datastructures import FormData

from chuhai.catalog import service as catalog
from chuhai.core.errors import ChuhaiError, NotFound, ValidationFailed
from chuhai.inventory import warehouses
from chuhai.markets import service as markets
from chuhai.orders import service as orders
from chuhai.parties import service as parties
from chuhai.web.console import Page, error_message, form_page, page_context, redirect, render
from chuhai.web.pages_review import submitted_form

router = APIRouter(include_in_schema=False)

ORDER_STATES = (
    "placed",
    "paid",
    "allocated",
    "picked",
    "shipped",
    "delivered",
    "cancelled",
)
STATE_BADGE = {
    "delivered": "passed",
    "cancelled": "rejected",
    "shipped": "approved",
    "placed": "pending",
    "paid": "pending",
}


@router.get("/orders", response_class=HTMLResponse)
def order_list(
    state: str | None = None,
    market: str | None = None,
    q: str | None = None,
    offset: int = 0,
    page: Page = Depends(page_context),
) -> HTMLResponse:
    chosen_state = state if state in ORDER_STATES else None
    found = orders.list_orders(
        page.ctx,
        state=chosen_state,
        market_code=market or None,
        search=q or None,
        limit=50,
        offset=max(offset, 0),
    )
    query = urlencode(
        {k: v for k, v in (("state", chosen_state), ("market", market), ("q", q)) if v}
    )
    return render(
        page,
        "orders/list.html",
        found=found,
        states=ORDER_STATES,
        markets=markets.list_markets(page.ctx, active_only=True),
        chosen_state=chosen_state,
        chosen_market=market or "",
        q=q or "",
        query=f"{query}&" if query else "",
        badge=STATE_BADGE,
    )


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order_page(order_id: str, page: Page = Depends(page_context)) -> HTMLResponse:
    view = orders.order_view(page.ctx, order_id)
    returnable = {line.sku_id: line.quantity - line.returned for line in view.lines}
    return render(
        page,
        "orders/order.html",
        view=view,
        order=view.order,
        badge=STATE_BADGE,
        returnable=returnable,
        sku_codes=catalog.sku_codes(page.ctx.session, [line.sku_id for line in view.lines]),
        people=parties.display_names(page.ctx.session, [h.actor_id for h in view.history]),
        warehouses=warehouses.list_warehouses(page.ctx),
    )


# --- actions -----------------------------------------------------------------------------------


def _act(page: Page, order_id: str, change: Callable[[], object], notice: str) -> Response:
    url = f"/orders/{order_id}"
    try:
        change()
        page.ctx.session.commit()
    except NotFound as exc:
        page.ctx.session.rollback()
        if exc.field in (None, "order_id"):
            raise
        return redirect(url, error=error_message(exc))
    except (ChuhaiError, StaleDataError) as exc:
        page.ctx.session.rollback()
        message = (
            error_message(exc)
            if isinstance(exc, ChuhaiError)
            else "someone else changed this order at the same time; reload and try again"
        )
        return redirect(url, error=message)
    return redirect(url, notice=notice)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


@router.post("/orders/{order_id}/actions/pick")
def pick(order_id: str, page: Page = Depends(form_page)) -> Response:
    return _act(page, order_id, lambda: orders.pick_order(page.ctx, order_id), "Picked and packed.")


@router.post("/orders/{order_id}/actions/ship")
def ship(order_id: str, page: Page = Depends(form_page)) -> Response:
    return _act(
        page,
        order_id,
        lambda: orders.ship_order(page.ctx, order_id),
        "Handed to the carrier: labels bought, tracking started.",
    )


@router.post("/orders/{order_id}/actions/cancel")
def cancel(
    order_id: str, page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    return _act(
        page,
        order_id,
        lambda: orders.cancel_order(page.ctx, order_id, _text(form, "reason")),
        "Cancelled: stock released and the payment refunded.",
    )


@router.post("/orders/{order_id}/returns")
def authorise_return(
    order_id: str, page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    def change() -> object:
        lines = _quantities(form)
        return orders.authorise_return(page.ctx, order_id, lines, _text(form, "reason"))

    return _act(page, order_id, change, "Return authorised: the buyer may send the goods back.")


def _quantities(form: FormData) -> list[tuple[str, int]]:
    lines = []
    for key, value in form.multi_items():
        if not key.startswith("qty_") or not isinstance(value, str) or not value.strip():
            continue
        if not value.strip().lstrip("-").isdigit():
            raise ValidationFailed.one(f"lines[{key[4:]}].quantity", "a whole number")
        if int(value) != 0:
            lines.append((key[4:], int(value)))
    return lines


@router.post("/orders/{order_id}/returns/{return_id}/receive")
def receive_return(
    order_id: str,
    return_id: str,
    page: Page = Depends(form_page),
    form: FormData = Depends(submitted_form),
) -> Response:
    outcomes = {
        key[8:]: value
        for key, value in form.multi_items()
        if key.startswith("outcome_") and isinstance(value, str)
    }
    return _act(
        page,
        order_id,
        lambda: orders.receive_return(page.ctx, return_id, _text(form, "warehouse_id"), outcomes),
        "Return received and refunded.",
    )
