"""Orders for platform staff: list and read them, pick, ship, cancel; authorise and receive
returns. Money travels as decimal strings with its currency; creating a return takes an
Idempotency-Key."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from chuhai.api.deps import api_context
from chuhai.api.idempotency import run_idempotent
from chuhai.api.schemas import MoneyOut, PageOut, Reason, Strict
from chuhai.core.context import Context
from chuhai.orders import service as orders

if TYPE_CHECKING:
    from chuhai.orders.tables import OrderRow, ReturnRow

router = APIRouter(tags=["orders"])


class OrderSummaryOut(BaseModel):
    id: str
    number: str
    state: str
    market_code: str
    email: str
    total: MoneyOut
    refunded: MoneyOut
    placed_at: datetime
    updated_at: datetime


class LineOut(BaseModel):
    sku_id: str
    quantity: int
    unit_price: MoneyOut
    unit_net: MoneyOut
    unit_duty: MoneyOut
    unit_vat: MoneyOut
    line_total: MoneyOut
    returned: int


class AllocationOut(BaseModel):
    sku_id: str
    warehouse_id: str
    quantity: int
    route: str
    strategy: str
    reason: str
    scores: dict[str, Any]
    state: str


class PaymentOut(BaseModel):
    id: str
    provider: str
    provider_ref: str | None
    amount: MoneyOut
    state: str
    card_last4: str
    created_at: datetime


class RefundOut(BaseModel):
    id: str
    amount: MoneyOut
    return_id: str | None
    provider_ref: str
    reason: str
    created_by: str
    created_at: datetime


class ReturnLineOut(BaseModel):
    sku_id: str
    quantity: int
    outcome: str | None


class ReturnOut(BaseModel):
    id: str
    order_id: str
    state: str
    lines: list[ReturnLineOut]
    reason: str
    warehouse_id: str | None
    refund: MoneyOut
    created_by: str
    created_at: datetime
    updated_at: datetime


class HistoryOut(BaseModel):
    action: str
    from_state: str | None
    to_state: str
    actor_id: str
    reason: str
    at: datetime


class ShipmentOut(BaseModel):
    id: str
    warehouse_id: str
    carrier: str
    service: str
    tracking_number: str
    state: str


class OrderOut(OrderSummaryOut):
    currency: str
    ship_to: dict[str, Any]
    route: str
    terms: str
    regime: str
    goods: MoneyOut
    duty: MoneyOut
    vat: MoneyOut
    due_on_delivery: MoneyOut
    fx_rate: str
    fx_on: str
    placed_by: str
    lines: list[LineOut]
    allocations: list[AllocationOut]
    payments: list[PaymentOut]
    refunds: list[RefundOut]
    returns: list[ReturnOut]
    history: list[HistoryOut]
    shipments: list[ShipmentOut]
    actions: list[str] = Field(description="what the caller may do next")


class ReturnLineIn(Strict):
    sku_id: str
    quantity: int


class ReturnIn(Strict):
    lines: list[ReturnLineIn]
    reason: str


class ReceiveIn(Strict):
    warehouse_id: str
    outcomes: dict[str, str] = Field(description="SKU id -> restock | write_off")


def _money(amount: int, currency: str) -> MoneyOut:
    return MoneyOut.of(amount, currency)


def summary_out(order: OrderRow) -> OrderSummaryOut:
    return OrderSummaryOut(
        id=order.id,
        number=order.number,
        state=order.state,
        market_code=order.market_code,
        email=order.email,
        total=_money(order.total, order.currency),
        refunded=_money(order.refunded, order.currency),
        placed_at=order.placed_at,
        updated_at=order.updated_at,
    )


def return_out(row: ReturnRow, currency: str) -> ReturnOut:
    return ReturnOut(
        id=row.id,
        order_id=row.order_id,
        state=row.state,
        lines=[
            ReturnLineOut(sku_id=x["sku_id"], quantity=x["quantity"], outcome=x.get("outcome"))
            for x in row.lines
        ],
        reason=row.reason,
        warehouse_id=row.warehouse_id,
        refund=_money(row.refund_amount, currency),
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def order_out(ctx: Context, order_id: str) -> OrderOut:
    view = orders.order_view(ctx, order_id)
    order, currency = view.order, view.order.currency
    return OrderOut(
        **summary_out(order).model_dump(),
        currency=currency,
        ship_to=order.ship_to,
        route=order.route,
        terms=order.terms,
        regime=order.regime,
        goods=_money(order.goods, currency),
        duty=_money(order.duty, currency),
        vat=_money(order.vat, currency),
        due_on_delivery=_money(order.due_on_delivery, currency),
        fx_rate=order.fx_rate,
        fx_on=order.fx_on,
        placed_by=order.placed_by,
        lines=[
            LineOut(
                sku_id=x.sku_id,
                quantity=x.quantity,
                unit_price=_money(x.unit_price, currency),
                unit_net=_money(x.unit_net, currency),
                unit_duty=_money(x.unit_duty, currency),
                unit_vat=_money(x.unit_vat, currency),
                line_total=_money(x.line_total, currency),
                returned=x.returned,
            )
            for x in view.lines
        ],
        allocations=[
            AllocationOut.model_validate(a, from_attributes=True) for a in view.allocations
        ],
        payments=[
            PaymentOut(
                id=p.id,
                provider=p.provider,
                provider_ref=p.provider_ref,
                amount=_money(p.amount, p.currency),
                state=p.state,
                card_last4=p.card_last4,
                created_at=p.created_at,
            )
            for p in view.payments
        ],
        refunds=[
            RefundOut(
                id=r.id,
                amount=_money(r.amount, r.currency),
                return_id=r.return_id,
                provider_ref=r.provider_ref,
                reason=r.reason,
                created_by=r.created_by,
                created_at=r.created_at,
            )
            for r in view.refunds
        ],
        returns=[return_out(r, currency) for r in view.returns],
        history=[HistoryOut.model_validate(h, from_attributes=True) for h in view.history],
        shipments=[ShipmentOut.model_validate(s, from_attributes=True) for s in view.shipments],
        actions=view.actions,
    )


def _answer(ctx: Context, order_id: str) -> OrderOut:
    ctx.session.commit()
    return order_out(ctx, order_id)


@router.get("/orders", response_model=PageOut[OrderSummaryOut])
def list_orders(
    state: str | None = None,
    market: str | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
    ctx: Context = Depends(api_context),
) -> PageOut[OrderSummaryOut]:
    page = orders.list_orders(
        ctx, state=state, market_code=market, search=q, limit=limit, offset=offset
    )
    return PageOut(
        items=[summary_out(o) for o in page.items], total=page.total, limit=limit, offset=offset
    )


@router.get("/orders/{order_id}", response_model=OrderOut)
def get_order(order_id: str, ctx: Context = Depends(api_context)) -> OrderOut:
    return order_out(ctx, order_id)


@router.post("/orders/{order_id}/pick", response_model=OrderOut)
def pick(order_id: str, ctx: Context = Depends(api_context)) -> OrderOut:
    orders.pick_order(ctx, order_id)
    return _answer(ctx, order_id)


@router.post("/orders/{order_id}/ship", response_model=OrderOut)
def ship(order_id: str, ctx: Context = Depends(api_context)) -> OrderOut:
    """One shipment per warehouse the order was allocated to."""
    orders.ship_order(ctx, order_id)
    return _answer(ctx, order_id)


@router.post("/orders/{order_id}/cancel", response_model=OrderOut)
def cancel(order_id: str, body: Reason, ctx: Context = Depends(api_context)) -> OrderOut:
    """Before shipping: the stock goes back and the buyer is refunded in full."""
    orders.cancel_order(ctx, order_id, body.reason)
    return _answer(ctx, order_id)


@router.post("/orders/{order_id}/returns", status_code=201, response_model=ReturnOut)
def authorise_return(
    order_id: str,
    body: ReturnIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    """A return authorisation for a delivered order (409 for any other)."""

    def create() -> ReturnOut:
        row = orders.authorise_return(
            ctx, order_id, [(x.sku_id, x.quantity) for x in body.lines], body.reason
        )
        return return_out(row, orders.get_order(ctx, row.order_id).currency)

    return run_idempotent(ctx, request, idempotency_key, body, create)


@router.get("/returns/{return_id}", response_model=ReturnOut)
def get_return(return_id: str, ctx: Context = Depends(api_context)) -> ReturnOut:
    row = orders.get_return(ctx, return_id)
    return return_out(row, orders.get_order(ctx, row.order_id).currency)


@router.post("/returns/{return_id}/receive", response_model=ReturnOut)
def receive_return(
    return_id: str, body: ReceiveIn, ctx: Context = Depends(api_context)
) -> ReturnOut:
    """The goods arrived: restock or write off each SKU; the returned lines are refunded."""
    row = orders.receive_return(ctx, return_id, body.warehouse_id, body.outcomes)
    ctx.session.commit()
    return return_out(row, orders.get_order(ctx, row.order_id).currency)
