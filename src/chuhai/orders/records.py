"""An order's records that every use case writes: its history (each move along the state
machine, with who, when and why) and its refunds (through the payment provider, with a key
per purpose so a retried request refunds once)."""

from __future__ import annotations

from sqlalchemy import select

from chuhai.core import events
from chuhai.core.context import Context
from chuhai.core.errors import NotFound, PaymentFailed
from chuhai.core.ids import new_id
from chuhai.orders.model import ORDER, State
from chuhai.orders.payments import PaymentTimeout, ProviderRefused, provider_for
from chuhai.orders.tables import OrderEventRow, OrderRow, PaymentRow, RefundRow

# --- history ----------------------------------------------------------------------------------


def record_placed(ctx: Context, order: OrderRow, reason: str) -> None:
    _history(ctx, order, "place", None, State.PLACED, reason)


def record_transition(ctx: Context, order: OrderRow, action: str, reason: str = "") -> None:
    """Move the order along the state machine (409 naming the state when not allowed)."""
    transition = ORDER.transition(order.state, action)
    previous = order.state
    order.state = transition.target
    order.updated_at = ctx.now()
    _history(ctx, order, action, previous, transition.target, reason)


def _history(
    ctx: Context, order: OrderRow, action: str, source: str | None, target: str, reason: str
) -> None:
    ctx.session.add(
        OrderEventRow(
            id=new_id("ohe"),
            order_id=order.id,
            action=action,
            from_state=source,
            to_state=target,
            actor_id=ctx.actor.user_id,
            reason=reason,
            at=ctx.now(),
        )
    )


def note(ctx: Context, order: OrderRow, action: str, reason: str) -> None:
    """A history entry that does not change the state (a return authorised, a refund)."""
    _history(ctx, order, action, order.state, order.state, reason)
    order.updated_at = ctx.now()


# --- reading ----------------------------------------------------------------------------------


def can_read(ctx: Context) -> None:
    # the storefront reaches an order only through find_order (number and email)
    if not (ctx.actor.can("orders.read") or ctx.actor.can("storefront.buy")):
        ctx.actor.require("orders.read")


def get_order(ctx: Context, order_id: str) -> OrderRow:
    can_read(ctx)
    order = ctx.session.get(OrderRow, order_id) if isinstance(order_id, str) else None
    if order is None:
        raise NotFound("no such order", field="order_id")
    return order


# --- refunds ----------------------------------------------------------------------------------


def captured_payment(ctx: Context, order: OrderRow) -> PaymentRow | None:
    query = select(PaymentRow).where(
        PaymentRow.order_id == order.id, PaymentRow.state == "captured"
    )
    return ctx.session.scalar(query.order_by(PaymentRow.created_at))


def refund(
    ctx: Context,
    order: OrderRow,
    amount: int,
    reason: str,
    *,
    key: str,
    return_id: str | None = None,
) -> int:
    """Give back up to `amount` of what the buyer paid, through the provider; the amount
    refunded (0 when nothing was paid). The key makes a retried request refund once."""
    payment = captured_payment(ctx, order)
    amount = min(amount, order.total - order.refunded)
    if payment is None or amount <= 0:
        return 0
    provider = provider_for(ctx.settings, ctx.clock)
    try:
        result = provider.refund(
            idempotency_key=key, capture_ref=payment.provider_ref or "", amount=amount
        )
    except (PaymentTimeout, ProviderRefused) as failed:
        raise PaymentFailed(
            f"the refund was not made: {failed}; try again", field="refund"
        ) from None
    refund_id = new_id("rfd")
    ctx.session.add(
        RefundRow(
            id=refund_id,
            order_id=order.id,
            payment_id=payment.id,
            return_id=return_id,
            amount=result.amount,
            currency=order.currency,
            provider_ref=result.ref,
            reason=reason[:2000],
            created_by=ctx.actor.user_id,
            created_at=ctx.now(),
        )
    )
    events.publish(
        ctx,
        "refund.issued",
        refund_id=refund_id,
        order_id=order.id,
        market=order.market_code,
        currency=order.currency,
        amount=result.amount,
        refunded_before=order.refunded,
        order_total=order.total,
        order_duty=order.duty,
        order_vat=order.vat,
        regime=order.regime,
    )
    order.refunded += result.amount
    order.updated_at = ctx.now()
    return result.amount
