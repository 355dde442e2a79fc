"""Use cases of orders: the storefront (products, carts, checkout), the order's life after
checkout (pick, ship, delivered, cancel), returns and refunds.

An order moves through `model.ORDER` (placed → paid → allocated → picked → shipped →
delivered; cancelled from any state before shipped); every move is an `order_history` row
with who, when and why. Stock moves only through the ledger, money only through the payment
provider, each with a key derived from the order, return or refund, so a retried request
never moves either twice.

Importing this module subscribes to the fulfillment capability's "shipment.status_changed":
the order is delivered when every one of its shipments is. The API, console and CLI import
it, so the subscription is there whenever any of them runs.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from chuhai.catalog import service as catalog
from chuhai.core import events
from chuhai.core.context import Context
from chuhai.core.errors import NotFound, ValidationFailed
from chuhai.core.money import decimal_string
from chuhai.core.pagination import Page, paginate
from chuhai.fulfillment import service as fulfillment
from chuhai.inventory import ledger
from chuhai.inventory.ledger import Move
from chuhai.orders.checkout import checkout
from chuhai.orders.model import (
    ORDER,
    STATES,
    Address,
    Card,
    OrderView,
    ShopProduct,
    ShopSku,
    State,
)
from chuhai.orders.records import can_read, get_order, record_transition, refund
from chuhai.orders.returns import authorise_return, get_return, receive_return, returnable
from chuhai.orders.storefront import (
    cart_quote,
    create_cart,
    get_cart,
    set_cart_item,
    shop_product,
    shop_products,
)
from chuhai.orders.tables import (
    AllocationRow,
    OrderEventRow,
    OrderLineRow,
    OrderRow,
    PaymentRow,
    RefundRow,
    ReturnRow,
)
from chuhai.pricing.service import Quote

__all__ = [
    "Address",
    "Card",
    "OrderView",
    "Quote",
    "ShopProduct",
    "ShopSku",
    "authorise_return",
    "cancel_order",
    "cart_quote",
    "checkout",
    "create_cart",
    "find_order",
    "get_cart",
    "get_order",
    "get_return",
    "list_orders",
    "order_view",
    "pick_order",
    "receive_return",
    "set_cart_item",
    "ship_order",
    "shop_product",
    "shop_products",
]


# --- reading -----------------------------------------------------------------------------------


def find_order(ctx: Context, number: str, email: str) -> OrderRow:
    """The buyer's own order: both the number and the email given at checkout must match
    (one answer for either mismatch, so neither can be probed alone)."""
    can_read(ctx)
    order = ctx.session.scalar(
        select(OrderRow).where(OrderRow.number == (number or "").strip().upper())
    )
    if order is None or order.email.strip().lower() != (email or "").strip().lower():
        raise NotFound("no order with that number and email", field="number")
    return order


def order_view(ctx: Context, order_id: str) -> OrderView:
    order = get_order(ctx, order_id)
    session = ctx.session

    def rows(table: Any, *order_by: Any) -> list[Any]:
        query = select(table).where(table.order_id == order.id).order_by(*order_by)
        return list(session.scalars(query))

    return OrderView(
        order=order,
        lines=rows(OrderLineRow, OrderLineRow.id),
        allocations=rows(AllocationRow, AllocationRow.created_at, AllocationRow.id),
        payments=rows(PaymentRow, PaymentRow.created_at, PaymentRow.id),
        refunds=rows(RefundRow, RefundRow.created_at, RefundRow.id),
        returns=rows(ReturnRow, ReturnRow.created_at, ReturnRow.id),
        history=rows(OrderEventRow, OrderEventRow.at, OrderEventRow.id),
        shipments=fulfillment.shipments_of_order(session, order.id),
        actions=_actions(ctx, order),
    )


def _actions(ctx: Context, order: OrderRow) -> list[str]:
    actions = [
        t.action
        for t in ORDER.actions_from(order.state)
        if t.action in ("pick", "ship", "cancel") and ctx.actor.can(t.permission)
    ]
    if ctx.actor.can("orders.manage") and any(returnable(ctx.session, order).values()):
        actions.append("return")
    return actions


def list_orders(
    ctx: Context,
    *,
    state: str | None = None,
    market_code: str | None = None,
    search: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[OrderRow]:
    """Orders, newest first; `search` matches the number or the buyer's email."""
    ctx.actor.require("orders.read")
    if state and state not in STATES:
        raise ValidationFailed.one("state", f"one of {', '.join(STATES)}")
    query = select(OrderRow).order_by(OrderRow.placed_at.desc(), OrderRow.id)
    if state:
        query = query.where(OrderRow.state == state)
    if market_code:
        query = query.where(OrderRow.market_code == market_code.upper())
    if search and search.strip():
        pattern = f"%{search.strip()[:100]}%"
        query = query.where(or_(OrderRow.number.ilike(pattern), OrderRow.email.ilike(pattern)))
    return paginate(ctx.session, query, limit, offset)


def allocations_of(ctx: Context, order: OrderRow, state: str) -> list[AllocationRow]:
    query = (
        select(AllocationRow)
        .where(AllocationRow.order_id == order.id, AllocationRow.state == state)
        .order_by(AllocationRow.warehouse_id, AllocationRow.sku_id)
    )
    return list(ctx.session.scalars(query))


# --- fulfilment ---------------------------------------------------------------------------------


def _act(ctx: Context, order_id: str, action: str) -> OrderRow:
    order = get_order(ctx, order_id)
    transition = ORDER.transition(order.state, action)
    ctx.actor.require(transition.permission)
    return order


def _move_allocations(
    ctx: Context, order: OrderRow, allocations: list[AllocationRow], kind: str, state: str
) -> None:
    ledger.post(
        ctx,
        [Move(kind, a.sku_id, a.warehouse_id, a.quantity) for a in allocations],
        document_type="order",
        document_id=order.id,
        reason=f"order {order.number}",
    )
    for allocation in allocations:
        allocation.state = state


def pick_order(ctx: Context, order_id: str) -> OrderRow:
    """The reserved units come off the shelves and are packed."""
    order = _act(ctx, order_id, "pick")
    allocations = allocations_of(ctx, order, "reserved")
    _move_allocations(ctx, order, allocations, "pick", "picked")
    units = sum(a.quantity for a in allocations)
    warehouses = sorted({a.warehouse_id for a in allocations})
    record_transition(ctx, order, "pick", f"{units} units picked at {', '.join(warehouses)}")
    ctx.session.flush()
    return order


def ship_order(ctx: Context, order_id: str) -> OrderRow:
    """Hand the packed units to the carrier: one shipment per warehouse."""
    order = _act(ctx, order_id, "ship")
    allocations = allocations_of(ctx, order, "picked")
    by_warehouse: dict[str, list[AllocationRow]] = {}
    for allocation in allocations:
        by_warehouse.setdefault(allocation.warehouse_id, []).append(allocation)
    numbers = []
    for warehouse_id, group in by_warehouse.items():
        lines = [(a.sku_id, a.quantity) for a in group]
        weight = sum(catalog.visible_sku(ctx, sku).weight_g * qty for sku, qty in lines)
        shipment = fulfillment.create_shipment(
            ctx,
            order_id=order.id,
            warehouse_id=warehouse_id,
            ship_to=dict(order.ship_to),
            lines=lines,
            weight_g=weight,
        )
        numbers.append(f"{warehouse_id}: {shipment.carrier} {shipment.tracking_number}")
    _move_allocations(ctx, order, allocations, "ship", "shipped")
    record_transition(ctx, order, "ship", "; ".join(numbers))
    events.publish(
        ctx,
        "order.shipped",
        order_id=order.id,
        order_number=order.number,
        lines=_cost_lines(ctx, allocations),
    )
    ctx.session.flush()
    return order


def _cost_lines(ctx: Context, allocations: list[AllocationRow]) -> list[dict[str, Any]]:
    """What the shipped units cost at their suppliers' supply prices (fen, CNY), per SKU and
    warehouse: the ledger's cost of goods sold, and a consignment supplier's payable."""
    lines = []
    for allocation in allocations:
        sku = catalog.visible_sku(ctx, allocation.sku_id)
        lines.append(
            {
                "sku_id": sku.id,
                "supplier_id": sku.supplier_id,
                "warehouse_id": allocation.warehouse_id,
                "units": allocation.quantity,
                "unit_cost": sku.supply_price_amount,
                "currency": sku.supply_price_currency,
            }
        )
    return lines


def _on_shipment_status(ctx: Context, payload: dict[str, Any]) -> None:
    """A shipment changed state; when every shipment of a shipped order is delivered, the
    order is delivered."""
    if payload.get("status") != "delivered":
        return
    order = ctx.session.get(OrderRow, payload.get("order_id") or "")
    if order is None or order.state != State.SHIPPED:
        return
    shipments = fulfillment.shipments_of_order(ctx.session, order.id)
    done = [s for s in shipments if s.state == "delivered" or s.id == payload.get("shipment_id")]
    if shipments and len(done) == len(shipments):
        count = len(shipments)
        record_transition(
            ctx, order, "deliver", f"{count} shipment{'s' if count > 1 else ''} delivered"
        )


events.subscribe("shipment.status_changed", _on_shipment_status)


# --- cancelling ---------------------------------------------------------------------------------


def cancel_order(ctx: Context, order_id: str, reason: str) -> OrderRow:
    """Before shipping: reserved stock is released, picked stock put back on the shelf, and
    what was paid is refunded in full."""
    order = _act(ctx, order_id, "cancel")
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationFailed.one("reason", "say why the order is cancelled")
    reserved = allocations_of(ctx, order, "reserved")
    picked = allocations_of(ctx, order, "picked")
    if reserved:
        _move_allocations(ctx, order, reserved, "release", "released")
    if picked:
        _move_allocations(ctx, order, picked, "put_back", "released")
    refunded = refund(
        ctx,
        order,
        order.total - order.refunded,
        f"cancelled: {reason.strip()}",
        key=f"{order.id}:cancel",
    )
    text = reason.strip()
    if refunded:
        text += f"; refunded {decimal_string(refunded, order.currency)} {order.currency}"
    record_transition(ctx, order, "cancel", text)
    lines = ctx.session.scalars(select(OrderLineRow).where(OrderLineRow.order_id == order.id))
    events.publish(
        ctx,
        "order.cancelled",
        order_id=order.id,
        market=order.market_code,
        lines=[{"sku_id": line.sku_id, "quantity": int(line.quantity)} for line in lines],
    )
    ctx.session.flush()
    return order
