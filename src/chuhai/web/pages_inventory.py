"""Console pages for inventory: warehouses; stock (balances per SKU × warehouse, the movements
behind them, count adjustments and write-offs); stock-up orders (operators issue, receive and
close them; a supplier's users confirm or decline theirs, book the delivery carton by carton
and print the carton labels); line-haul transfers (plan, depart, arrive).

Actions are POST forms that call one use case, commit and redirect back with a notice (POST,
redirect, GET); a refusal comes back as the error, naming the field.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm.exc import StaleDataError
from starlette.datastructures import FormData

from chuhai.core.errors import ChuhaiError, NotFound, ValidationFailed
from chuhai.core.money import Money, decimal_string, is_known_currency
from chuhai.inventory import service as stock
from chuhai.inventory import stockup, transfers, warehouses
from chuhai.parties import service as parties
from chuhai.web.console import Page, error_message, form_page, page_context, redirect, render
from chuhai.web.pages_review import submitted_form

router = APIRouter(include_in_schema=False)

STOCKUP_BADGE = {
    "issued": "submitted",
    "confirmed": "submitted",
    "shipped": "pending",
    "received": "passed",
    "closed": "",
    "declined": "rejected",
    "cancelled": "",
    "expired": "rejected",
}
STOCKUP_NEXT = {
    "issued": "Waiting for the supplier to confirm or decline.",
    "confirmed": "The supplier books the delivery: the cartons it sends, with their labels.",
    "shipped": "On its way: the warehouse counts it, samples it for QC and receives it.",
    "received": "Received and booked; penalties, if any, are below. The platform closes it.",
    "closed": "Closed.",
    "declined": "Declined by the supplier.",
    "cancelled": "Cancelled by the platform.",
    "expired": "Expired: not shipped in time.",
}
TRANSFER_BADGE = {"planned": "draft", "departed": "pending", "arrived": "passed", "cancelled": ""}
DOCUMENT_LINKS = {"stock_up": "/stock-up-orders/", "transfer": "/transfers/"}


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _whole(text: str) -> int | str:
    """A whole number from a form field, or the text as typed (the service names it)."""
    try:
        return int(text)
    except ValueError:
        return text


def _act(page: Page, url: str, change: Callable[[], object], notice: str) -> Response:
    try:
        change()
        page.ctx.session.commit()
    except NotFound as exc:
        page.ctx.session.rollback()
        if exc.field in (None, "stock_up_order_id", "transfer_id", "warehouse_id"):
            raise
        return redirect(url, error=error_message(exc))
    except (ChuhaiError, StaleDataError) as exc:
        page.ctx.session.rollback()
        message = (
            error_message(exc)
            if isinstance(exc, ChuhaiError)
            else "someone else changed this at the same time; reload and try again"
        )
        return redirect(url, error=message)
    return redirect(url, notice=notice)


# --- warehouses ---------------------------------------------------------------------------------


def _spec_changes(form: FormData, currency: str) -> dict[str, Any]:
    changes: dict[str, Any] = {
        name: _text(form, name) for name in ("name", "kind", "country_code", "city")
    }
    for name in ("latitude", "longitude"):
        try:
            changes[name] = float(_text(form, name))
        except ValueError:
            raise ValidationFailed.one(name, "a number of degrees, e.g. 34.06") from None
    changes["capacity_m3"] = _whole(_text(form, "capacity_m3"))
    if not is_known_currency(currency):
        raise ValidationFailed.one("handling_currency", "an ISO 4217 currency code")
    changes["handling_currency"] = currency
    changes["handling_cost"] = Money.parse(
        _text(form, "handling_cost") or "0", currency, "handling_cost"
    ).amount_minor
    changes["markets"] = [m for m in form.getlist("markets") if isinstance(m, str) and m]
    changes["active"] = form.get("active") == "on"
    return changes


@router.get("/warehouses", response_class=HTMLResponse)
def warehouse_list(page: Page = Depends(page_context)) -> HTMLResponse:
    from chuhai.markets.service import active_market_codes

    return render(
        page,
        "inventory/warehouses.html",
        warehouses=warehouses.list_warehouses(page.ctx),
        kinds=warehouses.KINDS,
        markets=sorted(active_market_codes(page.ctx.session)),
        can_manage=page.actor.can("warehouses.manage"),
        decimal=decimal_string,
    )


@router.post("/warehouses")
def warehouse_create(
    page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    def create() -> None:
        page.actor.require("warehouses.manage")
        fields = _spec_changes(form, _text(form, "handling_currency").upper())
        warehouses.create_warehouse(
            page.ctx, warehouses.WarehouseSpec(id=_text(form, "id").upper(), **fields)
        )

    warehouse_id = _text(form, "id").upper()
    response = _act(page, "/warehouses", create, f"Warehouse {warehouse_id} added.")
    if "error=" not in response.headers.get("location", ""):
        return redirect(f"/warehouses/{warehouse_id}", notice=f"Warehouse {warehouse_id} added.")
    return response


@router.get("/warehouses/{warehouse_id}", response_class=HTMLResponse)
def warehouse_page(warehouse_id: str, page: Page = Depends(page_context)) -> HTMLResponse:
    from chuhai.markets.service import active_market_codes

    row = warehouses.get_warehouse(page.ctx, warehouse_id)
    on_the_way = (
        transfers.in_transit_to(page.ctx, row.id) if page.actor.can("transfers.read") else []
    )
    return render(
        page,
        "inventory/warehouse.html",
        w=row,
        kinds=warehouses.KINDS,
        markets=sorted(active_market_codes(page.ctx.session)),
        on_the_way=on_the_way,
        can_manage=page.actor.can("warehouses.manage"),
        can_see_stock=page.actor.can("stock.read"),
        decimal=decimal_string,
    )


@router.post("/warehouses/{warehouse_id}")
def warehouse_edit(
    warehouse_id: str, page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    def edit() -> None:
        warehouses.get_warehouse(page.ctx, warehouse_id)
        page.actor.require("warehouses.manage")
        changes = _spec_changes(form, _text(form, "handling_currency").upper())
        warehouses.update_warehouse(page.ctx, warehouse_id, changes)

    return _act(page, f"/warehouses/{warehouse_id}", edit, "Warehouse saved.")


# --- stock --------------------------------------------------------------------------------------


@router.get("/stock", response_class=HTMLResponse)
def stock_page(
    warehouse_id: str | None = None,
    q: str | None = None,
    offset: int = 0,
    page: Page = Depends(page_context),
) -> HTMLResponse:
    found = stock.stock_levels(
        page.ctx, warehouse_id=warehouse_id or None, search=q, limit=50, offset=max(offset, 0)
    )
    query = urlencode({k: v for k, v in (("warehouse_id", warehouse_id), ("q", q)) if v})
    return render(
        page,
        "inventory/stock.html",
        found=found,
        levels=found.items,
        warehouses=warehouses.list_warehouses(page.ctx),
        chosen=warehouse_id or "",
        q=q or "",
        query=f"{query}&" if query else "",
    )


@router.get("/stock/movements", response_class=HTMLResponse)
def movements_page(
    sku_id: str | None = None,
    warehouse_id: str | None = None,
    document_id: str | None = None,
    offset: int = 0,
    page: Page = Depends(page_context),
) -> HTMLResponse:
    found = stock.movements(
        page.ctx,
        sku_id=sku_id or None,
        warehouse_id=warehouse_id or None,
        document_id=document_id or None,
        limit=50,
        offset=max(offset, 0),
    )
    codes = stock.sku_codes(page.ctx.session, [m.sku_id for m in found.items] + [sku_id or ""])
    place = None
    if sku_id and warehouse_id:
        levels = stock.stock_levels(
            page.ctx, sku_id=sku_id, warehouse_id=warehouse_id, include_empty=True
        ).items
        place = levels[0] if levels else None
    query = urlencode(
        {
            k: v
            for k, v in (
                ("sku_id", sku_id),
                ("warehouse_id", warehouse_id),
                ("document_id", document_id),
            )
            if v
        }
    )
    return render(
        page,
        "inventory/movements.html",
        found=found,
        moves=found.items,
        codes=codes,
        people=parties.display_names(page.ctx.session, [m.actor_id for m in found.items]),
        sku_id=sku_id or "",
        warehouse_id=warehouse_id or "",
        document_id=document_id or "",
        place=place,
        links=DOCUMENT_LINKS,
        query=f"{query}&" if query else "",
        can_adjust=page.actor.can("stock.adjust") and bool(sku_id and warehouse_id),
    )


def _movements_url(form: FormData) -> str:
    query = urlencode(
        {"sku_id": _text(form, "sku_id"), "warehouse_id": _text(form, "warehouse_id")}
    )
    return f"/stock/movements?{query}"


@router.post("/stock/count")
def count(page: Page = Depends(form_page), form: FormData = Depends(submitted_form)) -> Response:
    return _act(
        page,
        _movements_url(form),
        lambda: stock.adjust_count(
            page.ctx,
            sku_id=_text(form, "sku_id"),
            warehouse_id=_text(form, "warehouse_id"),
            counted=_whole(_text(form, "counted")),  # type: ignore[arg-type]
            reason=_text(form, "reason"),
        ),
        "Count booked.",
    )


@router.post("/stock/write-off")
def write_off(
    page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    return _act(
        page,
        _movements_url(form),
        lambda: stock.write_off(
            page.ctx,
            sku_id=_text(form, "sku_id"),
            warehouse_id=_text(form, "warehouse_id"),
            quantity=_whole(_text(form, "quantity")),  # type: ignore[arg-type]
            reason=_text(form, "reason"),
        ),
        "Write-off booked.",
    )


# --- stock-up orders ----------------------------------------------------------------------------


@router.get("/stock-up-orders", response_class=HTMLResponse)
def stock_up_list(
    state: str | None = None, offset: int = 0, page: Page = Depends(page_context)
) -> HTMLResponse:
    chosen = state if state in stockup.ALL_STATES else None
    found = stockup.list_orders(page.ctx, state=chosen, limit=50, offset=max(offset, 0))
    suppliers = {
        sid: parties.supplier_of(page.ctx.session, sid)
        for sid in {o.supplier_id for o in found.items}
    }
    return render(
        page,
        "inventory/stockup_list.html",
        found=found,
        orders=found.items,
        suppliers=suppliers,
        states=stockup.ALL_STATES,
        counts=stockup.state_counts(page.ctx),
        chosen=chosen,
        query=f"state={chosen}&" if chosen else "",
        badge=STOCKUP_BADGE,
        can_issue=page.actor.can("stockup.issue"),
    )


def _issue_form(
    page: Page, supplier_id: str, values: dict[str, Any], error: str | None = None
) -> HTMLResponse:
    suppliers = parties.list_suppliers(page.ctx, status="verified", limit=200).items
    skus = stockup.orderable_skus(page.ctx, supplier_id) if supplier_id else []
    return render(
        page,
        "inventory/stockup_new.html",
        status_code=422 if error else 200,
        suppliers=suppliers,
        supplier_id=supplier_id,
        skus=skus,
        warehouses=warehouses.list_warehouses(page.ctx, kind="consolidation"),
        values=values,
        today=page.ctx.now().date(),
        error=error,  # shown like a redirect's error, with the form as it was filled in
    )


@router.get("/stock-up-orders/new", response_class=HTMLResponse)
def stock_up_new(supplier_id: str = "", page: Page = Depends(page_context)) -> HTMLResponse:
    page.actor.require("stockup.issue")
    return _issue_form(page, supplier_id, {"kind": "jit", "jit_hours": "72"})


def _order_draft(form: FormData) -> stockup.StockUpDraft:
    kind = _text(form, "kind")
    lines = [
        stockup.LineDraft(key.removeprefix("qty:"), _whole(_text(form, key)))  # type: ignore[arg-type]
        for key in form
        if key.startswith("qty:") and _text(form, key)
    ]
    due_on = None
    if kind == "planned" and _text(form, "due_on"):
        try:
            due_on = date.fromisoformat(_text(form, "due_on"))
        except ValueError:
            raise ValidationFailed.one("due_on", "a date, e.g. 2026-04-30") from None
    return stockup.StockUpDraft(
        supplier_id=_text(form, "supplier_id"),
        warehouse_id=_text(form, "warehouse_id"),
        kind=kind,
        lines=lines,
        jit_hours=_whole(_text(form, "jit_hours")) if kind == "jit" else None,  # type: ignore[arg-type]
        due_on=due_on,
        note=_text(form, "note"),
    )


@router.post("/stock-up-orders")
def stock_up_issue(
    page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    try:
        row = stockup.issue(page.ctx, _order_draft(form))
        page.ctx.session.commit()
    except ValidationFailed as exc:
        page.ctx.session.rollback()
        values = {k: _text(form, k) for k in form}
        return _issue_form(page, _text(form, "supplier_id"), values, error_message(exc))
    return redirect(f"/stock-up-orders/{row.id}", notice="Stock-up order issued to the supplier.")


@router.get("/stock-up-orders/{stock_up_order_id}", response_class=HTMLResponse)
def stock_up_page(stock_up_order_id: str, page: Page = Depends(page_context)) -> HTMLResponse:
    view = stockup.order_view(page.ctx, stock_up_order_id)
    return render(
        page,
        "inventory/stockup.html",
        view=view,
        row=view.order,
        badge=STOCKUP_BADGE,
        next_step=STOCKUP_NEXT.get(view.order.state, ""),
        china_due=view.order.due_at.astimezone(stockup.CHINA),
        per_carton={line.sku_id: min(line.quantity, 50) for line in view.lines},
    )


@router.get("/stock-up-orders/{stock_up_order_id}/labels.pdf")
def stock_up_labels(stock_up_order_id: str, page: Page = Depends(page_context)) -> Response:
    filename, content = stockup.labels_pdf(page.ctx, stock_up_order_id)
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


def _cartons(form: FormData, lines: list[Any]) -> list[stockup.CartonDraft]:
    """The cartons of each line: `units` packed `per` carton (the last one takes the rest)."""
    cartons = []
    for line in lines:
        units, per = (
            _whole(_text(form, f"units:{line.sku_id}")),
            _whole(_text(form, f"per:{line.sku_id}")),
        )
        if units in ("", 0):
            continue
        if not isinstance(units, int) or not isinstance(per, int) or units < 0 or per < 1:
            raise ValidationFailed.one(
                f"units:{line.sku_id}", "units to ship and units per carton, whole numbers"
            )
        full, rest = divmod(units, per)
        if full > stockup.MAX_CARTONS:
            raise ValidationFailed.one("cartons", f"at most {stockup.MAX_CARTONS:,} cartons")
        cartons += [stockup.CartonDraft(line.sku_id, per)] * full
        cartons += [stockup.CartonDraft(line.sku_id, rest)] if rest else []
    return cartons


@router.post("/stock-up-orders/{stock_up_order_id}/actions/{action}")
def stock_up_action(
    stock_up_order_id: str,
    action: str,
    page: Page = Depends(form_page),
    form: FormData = Depends(submitted_form),
) -> Response:
    ctx, oid = page.ctx, stock_up_order_id
    moves: dict[str, tuple[Callable[[], object], str]] = {
        "confirm": (lambda: stockup.confirm(ctx, oid, _text(form, "note")), "Order confirmed."),
        "decline": (lambda: stockup.decline(ctx, oid, _text(form, "reason")), "Order declined."),
        "cancel": (lambda: stockup.cancel(ctx, oid, _text(form, "reason")), "Order cancelled."),
        "close": (lambda: stockup.close(ctx, oid, _text(form, "note")), "Order closed."),
        "ship": (
            lambda: stockup.ship(
                ctx,
                oid,
                _cartons(form, stockup.lines_of(ctx.session, oid)),
                carrier=_text(form, "carrier"),
                tracking_number=_text(form, "tracking_number"),
                note=_text(form, "note"),
            ),
            "Delivery booked: print the carton labels and stick one on each carton.",
        ),
        "receive": (
            lambda: stockup.receive(
                ctx,
                oid,
                [
                    stockup.LineCount(
                        line.sku_id,
                        _whole(_text(form, f"received:{line.sku_id}") or "0"),  # type: ignore[arg-type]
                        _whole(_text(form, f"sampled:{line.sku_id}") or "0"),  # type: ignore[arg-type]
                        _whole(_text(form, f"failed:{line.sku_id}") or "0"),  # type: ignore[arg-type]
                        _text(form, f"note:{line.sku_id}"),
                    )
                    for line in stockup.lines_of(ctx.session, oid)
                ],
                _text(form, "note"),
            ),
            "Delivery received and booked into stock.",
        ),
    }
    if action not in moves:
        raise NotFound(f"no action {action!r}", field="action")
    stockup.visible_order(ctx, oid)  # another supplier's order: 404, not a flash
    change, notice = moves[action]
    return _act(page, f"/stock-up-orders/{oid}", change, notice)


# --- transfers ----------------------------------------------------------------------------------


@router.get("/transfers", response_class=HTMLResponse)
def transfer_list(
    state: str | None = None, offset: int = 0, page: Page = Depends(page_context)
) -> HTMLResponse:
    chosen = state if state in transfers.ALL_STATES else None
    found = transfers.list_transfers(page.ctx, state=chosen, limit=50, offset=max(offset, 0))
    return render(
        page,
        "inventory/transfers.html",
        found=found,
        rows=found.items,
        states=transfers.ALL_STATES,
        counts=transfers.state_counts(page.ctx),
        chosen=chosen,
        query=f"state={chosen}&" if chosen else "",
        badge=TRANSFER_BADGE,
        can_plan=page.actor.can("transfers.plan"),
    )


@router.get("/transfers/new", response_class=HTMLResponse)
def transfer_new(
    from_warehouse_id: str = "CN-GZ", page: Page = Depends(page_context)
) -> HTMLResponse:
    page.actor.require("transfers.plan")
    levels = stock.stock_levels(page.ctx, warehouse_id=from_warehouse_id, limit=200).items
    return render(
        page,
        "inventory/transfer_new.html",
        origin=from_warehouse_id,
        levels=[level for level in levels if level.available > 0],
        origins=warehouses.list_warehouses(page.ctx, kind="consolidation"),
        destinations=warehouses.list_warehouses(page.ctx, kind="overseas"),
        modes=transfers.line_haul().modes,
    )


@router.post("/transfers")
def transfer_plan(
    page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    origin = _text(form, "from_warehouse_id")
    draft = transfers.TransferDraft(
        from_warehouse_id=origin,
        to_warehouse_id=_text(form, "to_warehouse_id"),
        mode=_text(form, "mode"),
        cartons=_whole(_text(form, "cartons")),  # type: ignore[arg-type]
        lines=[
            transfers.TransferLineDraft(key.removeprefix("qty:"), _whole(_text(form, key)))  # type: ignore[arg-type]
            for key in form
            if key.startswith("qty:") and _text(form, key)
        ],
        note=_text(form, "note"),
    )
    try:
        row = transfers.plan(page.ctx, draft)
        page.ctx.session.commit()
    except ChuhaiError as exc:
        page.ctx.session.rollback()
        back = "/transfers/new?" + urlencode({"from_warehouse_id": origin})
        return redirect(back, error=error_message(exc))
    return redirect(f"/transfers/{row.id}", notice="Transfer planned.")


@router.get("/transfers/{transfer_id}", response_class=HTMLResponse)
def transfer_page(transfer_id: str, page: Page = Depends(page_context)) -> HTMLResponse:
    view = transfers.transfer_view(page.ctx, transfer_id)
    return render(
        page, "inventory/transfer.html", view=view, row=view.transfer, badge=TRANSFER_BADGE
    )


@router.post("/transfers/{transfer_id}/actions/{action}")
def transfer_action(
    transfer_id: str,
    action: str,
    page: Page = Depends(form_page),
    form: FormData = Depends(submitted_form),
) -> Response:
    ctx, tid = page.ctx, transfer_id
    moves: dict[str, tuple[Callable[[], object], str]] = {
        "depart": (lambda: transfers.depart(ctx, tid, _text(form, "note")), "Departed."),
        "cancel": (lambda: transfers.cancel(ctx, tid, _text(form, "reason")), "Cancelled."),
        "declare": (lambda: transfers.declare(ctx, tid), "9810 declaration raised."),
        "arrive": (
            lambda: transfers.arrive(
                ctx,
                tid,
                [
                    transfers.ArrivalCount(
                        line.sku_id,
                        _whole(_text(form, f"received:{line.sku_id}") or "0"),  # type: ignore[arg-type]
                    )
                    for line in transfers.lines_of(ctx.session, tid)
                ],
                _text(form, "note"),
            ),
            "Arrived and put away.",
        ),
    }
    if action not in moves:
        raise NotFound(f"no action {action!r}", field="action")
    transfers.visible_transfer(ctx, tid)
    change, notice = moves[action]
    return _act(page, f"/transfers/{tid}", change, notice)
