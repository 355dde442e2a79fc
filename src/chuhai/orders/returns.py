"""Returns after delivery: authorise, receive at a warehouse, restock or write off, refund.

Only a delivered order can be returned (409 otherwise), and never more units of a line than
were delivered less those already returned or on their way back. Receiving puts every
returned unit on the ledger at the receiving warehouse (`return_to_stock`); a unit that
cannot be sold again is then written off (`write_off`), so the ledger shows both what came
back and what was lost. The returned lines are refunded as charged: goods, duty and VAT.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from chuhai.core import events
from chuhai.core.context import Context
from chuhai.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from chuhai.core.ids import new_id
from chuhai.core.money import decimal_string
from chuhai.inventory import ledger
from chuhai.inventory import warehouses as warehouse_service
from chuhai.inventory.ledger import Move
from chuhai.orders.model import RETURN_OUTCOMES, State
from chuhai.orders.records import get_order, note, refund
from chuhai.orders.tables import OrderLineRow, OrderRow, ReturnRow


def _lines(session: Session, order_id: str) -> dict[str, OrderLineRow]:
    query = select(OrderLineRow).where(OrderLineRow.order_id == order_id)
    return {line.sku_id: line for line in session.scalars(query)}


def returnable(session: Session, order: OrderRow) -> dict[str, int]:
    """SKU -> units the buyer may still send back (delivered orders only)."""
    if order.state != State.DELIVERED:
        return {}
    pending: dict[str, int] = {}
    query = select(ReturnRow).where(ReturnRow.order_id == order.id, ReturnRow.state == "authorised")
    for authorised in session.scalars(query):
        for line in authorised.lines:
            pending[line["sku_id"]] = pending.get(line["sku_id"], 0) + int(line["quantity"])
    return {
        sku: line.quantity - line.returned - pending.get(sku, 0)
        for sku, line in _lines(session, order.id).items()
    }


def authorise_return(
    ctx: Context, order_id: str, lines: list[tuple[str, int]], reason: str
) -> ReturnRow:
    """A return authorisation for some units of a delivered order."""
    order = get_order(ctx, order_id)
    ctx.actor.require("orders.manage")
    if order.state != State.DELIVERED:
        raise Conflict(
            f"order {order.number} is {order.state}; only a delivered order can be returned",
            field="order_id",
            current_state=order.state,
        )
    _check_lines(lines, returnable(ctx.session, order), reason)
    now = ctx.now()
    authorised = ReturnRow(
        id=new_id("ret"),
        order_id=order.id,
        state="authorised",
        lines=[{"sku_id": sku, "quantity": qty, "outcome": None} for sku, qty in lines],
        reason=reason.strip(),
        warehouse_id=None,
        refund_amount=0,
        created_by=ctx.actor.user_id,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(authorised)
    units = sum(qty for _, qty in lines)
    note(ctx, order, "return_authorised", f"{units} units: {reason.strip()}")
    ctx.session.flush()
    return authorised


def _check_lines(lines: list[tuple[str, int]], left: dict[str, int], reason: str) -> None:
    errors = []
    if not isinstance(reason, str) or not reason.strip():
        errors.append(FieldError("reason", "say why the goods come back"))
    if not lines:
        errors.append(FieldError("lines", "at least one line to return"))
    seen: set[str] = set()
    for index, (sku_id, quantity) in enumerate(lines):
        if sku_id not in left:
            errors.append(FieldError(f"lines[{index}].sku_id", "not on this order"))
            continue
        if sku_id in seen:
            errors.append(FieldError(f"lines[{index}].sku_id", "listed twice"))
        seen.add(sku_id)
        whole = isinstance(quantity, int) and not isinstance(quantity, bool)
        if not whole or not 1 <= quantity <= left[sku_id]:
            errors.append(
                FieldError(
                    f"lines[{index}].quantity",
                    f"from 1 to {left[sku_id]} (delivered less returned or on their way back)"
                    if left[sku_id]
                    else "every delivered unit is already returned or on its way back",
                )
            )
    if errors:
        raise ValidationFailed(errors)


def get_return(ctx: Context, return_id: str) -> ReturnRow:
    ctx.actor.require("orders.read")
    row = ctx.session.get(ReturnRow, return_id) if isinstance(return_id, str) else None
    if row is None:
        raise NotFound("no such return", field="return_id")
    return row


def receive_return(
    ctx: Context, return_id: str, warehouse_id: str, outcomes: dict[str, str]
) -> ReturnRow:
    """The goods arrived at a warehouse: each SKU restocked or written off, and the returned
    lines refunded as charged."""
    authorised = get_return(ctx, return_id)
    ctx.actor.require("orders.manage")
    if authorised.state != "authorised":
        raise Conflict(
            f"this return is {authorised.state}, not waiting for the goods",
            field="return_id",
            current_state=authorised.state,
        )
    warehouse = warehouse_service.get_warehouse(ctx, warehouse_id)
    _check_outcomes(authorised, outcomes)
    order = get_order(ctx, authorised.order_id)
    _post_receipt(ctx, authorised, warehouse.id, outcomes)
    amount = _mark_returned(ctx, order, authorised)
    refunded = refund(
        ctx,
        order,
        amount,
        f"return {authorised.id}: {authorised.reason}",
        key=f"{authorised.id}:refund",
        return_id=authorised.id,
    )
    authorised.lines = [{**line, "outcome": outcomes[line["sku_id"]]} for line in authorised.lines]
    authorised.warehouse_id = warehouse.id
    authorised.refund_amount = refunded
    authorised.state = "refunded" if refunded else "received"
    authorised.updated_at = ctx.now()
    events.publish(
        ctx,
        "return.received",
        return_id=authorised.id,
        order_id=order.id,
        market=order.market_code,
        lines=[{"sku_id": x["sku_id"], "quantity": int(x["quantity"])} for x in authorised.lines],
    )
    note(
        ctx,
        order,
        "return_received",
        f"at {warehouse.id}; refunded {decimal_string(refunded, order.currency)} {order.currency}",
    )
    ctx.session.flush()
    return authorised


def _check_outcomes(authorised: ReturnRow, outcomes: Any) -> None:
    expected = {line["sku_id"] for line in authorised.lines}
    if not isinstance(outcomes, dict):
        raise ValidationFailed.one("outcomes", "SKU id -> restock or write_off")
    errors = [
        FieldError(f"outcomes.{sku}", "not on this return")
        for sku in outcomes
        if sku not in expected
    ]
    for sku in sorted(expected):
        if outcomes.get(sku) not in RETURN_OUTCOMES:
            errors.append(FieldError(f"outcomes.{sku}", f"one of {', '.join(RETURN_OUTCOMES)}"))
    if errors:
        raise ValidationFailed(errors)


def _post_receipt(
    ctx: Context, authorised: ReturnRow, warehouse_id: str, outcomes: dict[str, str]
) -> None:
    moves = []
    for line in authorised.lines:
        sku, quantity = line["sku_id"], int(line["quantity"])
        moves.append(Move("return_to_stock", sku, warehouse_id, quantity))
        if outcomes[sku] == "write_off":
            moves.append(Move("write_off", sku, warehouse_id, quantity))
    ledger.post(
        ctx,
        moves,
        document_type="return",
        document_id=authorised.id,
        reason=f"return of order {authorised.order_id}: {authorised.reason}",
    )


def _mark_returned(ctx: Context, order: OrderRow, authorised: ReturnRow) -> int:
    """Count the units as returned; what they cost the buyer (goods, duty and VAT)."""
    lines = _lines(ctx.session, order.id)
    amount = 0
    for line in authorised.lines:
        row = lines[line["sku_id"]]
        quantity = int(line["quantity"])
        row.returned += quantity
        amount += row.unit_price * quantity
    return amount
