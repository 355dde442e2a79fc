"""Checkout: one unit of work that leaves either a paid, allocated order or nothing.

In order: check everything the buyer sent (every problem named at once, nothing written);
quote the basket through pricing (direct mail, delivered duty paid: prices, duty, VAT and the
import regime as charged); place the order; choose warehouses and reserve the stock (the
ledger's guarded update makes two buyers racing for the last units safe: the loser's
reservation fails, it re-reads what is left and tries again once, then is told which SKU ran
out); authorise and capture the payment; record placed → paid → allocated.

Money leaves the buyer only after the stock is held. A refused payment, or one the provider
did not answer in time, fails the checkout (402) and the caller's rollback takes the order
and the reservations with it; an authorisation a timed-out provider may have granted is
voided. Once money is captured, anything that stops the transaction from committing (the
commit itself included) refunds it: the compensation is tied to the session's end.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, update
from sqlalchemy.orm import Session, SessionTransaction

from chuhai.catalog import service as catalog
from chuhai.core import events
from chuhai.core.context import Context
from chuhai.core.errors import Conflict, FieldError, OutOfStock, PaymentFailed, ValidationFailed
from chuhai.core.ids import new_id
from chuhai.core.money import decimal_string
from chuhai.inventory import ledger
from chuhai.inventory.ledger import Move
from chuhai.orders import allocation
from chuhai.orders.addresses import validate_address
from chuhai.orders.model import Address, Card, card_errors, email_errors, item_errors
from chuhai.orders.payments import PaymentProvider, PaymentTimeout, ProviderRefused, provider_for
from chuhai.orders.records import record_placed, record_transition
from chuhai.orders.storefront import not_on_sale, open_market, serving_warehouses, shop_route
from chuhai.orders.tables import AllocationRow, CartRow, OrderLineRow, OrderRow, PaymentRow
from chuhai.pricing import service as pricing

log = logging.getLogger(__name__)
NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out on the phone
RESERVE_ATTEMPTS = 2


def checkout(
    ctx: Context,
    *,
    market_code: str,
    items: list[tuple[str, int]],
    email: str,
    address: Address,
    card: Card,
    cart_id: str | None = None,
) -> OrderRow:
    """Place, pay and allocate an order. Raises ValidationFailed (each field named),
    OutOfStock (409, naming the SKU), PaymentFailed (402, the provider's reason)."""
    ctx.actor.require("storefront.buy")
    market = open_market(ctx, market_code)
    items = [(sku.strip() if isinstance(sku, str) else sku, quantity) for sku, quantity in items]
    address = _check(ctx, market, items, email, address, card)
    quote = pricing.quote(ctx, market.code, items, route=shop_route(market), terms="DDP")
    order = _place(ctx, market, quote, email.strip(), address)
    if cart_id is not None:
        _close_cart(ctx, cart_id, market.code, order.id)
    plan = _reserve(ctx, order, items, market)
    provider = provider_for(ctx.settings, ctx.clock)
    payment = _take_payment(ctx, provider, order, card)
    events.publish(
        ctx,
        "payment.captured",
        order_id=order.id,
        order_number=order.number,
        payment_id=payment.id,
        market=order.market_code,
        currency=payment.currency,
        amount=payment.amount,
        goods=order.goods,
        duty=order.duty,
        vat=order.vat,
        regime=order.regime,
        items=[{"sku_id": sku, "quantity": quantity} for sku, quantity in items],
    )
    paid = decimal_string(payment.amount, payment.currency)
    record_transition(
        ctx, order, "pay", f"{paid} {payment.currency} captured, card ending {payment.card_last4}"
    )
    record_transition(ctx, order, "allocate", plan.reason)
    ctx.session.flush()
    return order


# --- checks ---------------------------------------------------------------------------------------


def _check(
    ctx: Context,
    market: Any,
    items: list[tuple[str, int]],
    email: str,
    address: Address,
    card: Card,
) -> Address:
    errors = item_errors(items) + email_errors(email)
    if not any(e.field == "items" for e in errors):
        shaped = [sku for sku, _ in items if isinstance(sku, str) and sku]
        missing = not_on_sale(ctx.session, market.code, shaped)
        errors += [
            FieldError(f"items[{index}].sku_id", f"not on sale in {market.code}")
            for index, (sku, _) in enumerate(items)
            if sku in missing
        ]
    normal, address_errors = validate_address(address, market.country_code or "")
    errors += address_errors
    errors += card_errors(card, ctx.now().date())
    if errors:
        raise ValidationFailed(errors)
    return normal


# --- placing -------------------------------------------------------------------------------------


def order_number() -> str:
    return "CH-" + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))


def _place(
    ctx: Context, market: Any, quote: pricing.Quote, email: str, address: Address
) -> OrderRow:
    now = ctx.now()
    order = OrderRow(
        id=new_id("ord"),
        number=order_number(),
        market_code=market.code,
        currency=quote.currency,
        state="placed",
        customer_id=None,
        email=email,
        ship_to=address.as_dict(),
        route=quote.route,
        terms=quote.terms,
        regime=quote.regime[:120],
        goods=quote.goods,
        duty=quote.duty,
        vat=quote.vat,
        total=quote.total,
        due_on_delivery=quote.due_on_delivery,
        refunded=0,
        fx_rate=str(quote.fx_rate),
        fx_on=quote.fx_on.isoformat(),
        placed_by=ctx.actor.user_id,
        placed_at=now,
        updated_at=now,
    )
    ctx.session.add(order)
    ctx.session.flush()  # the lines refer to it
    for line in quote.lines:
        unit = line.unit
        ctx.session.add(
            OrderLineRow(
                id=new_id("orl"),
                order_id=order.id,
                sku_id=line.sku_id,
                quantity=line.quantity,
                unit_price=unit.price,
                unit_net=unit.net_price,
                unit_duty=unit.duty,
                unit_vat=unit.import_vat + unit.sales_vat,
                line_total=unit.price * line.quantity,
                returned=0,
            )
        )
    ctx.session.flush()
    units = sum(line.quantity for line in quote.lines)
    record_placed(
        ctx, order, f"{units} units, {decimal_string(order.total, order.currency)} {order.currency}"
    )
    return order


def _close_cart(ctx: Context, cart_id: str, market_code: str, order_id: str) -> None:
    """Mark the cart checked out; a second checkout of the same cart (a double click, two
    tabs) waits here for the first and is refused."""
    cart = ctx.session.get(CartRow, cart_id)
    if cart is None or cart.market_code != market_code:
        raise ValidationFailed.one("cart_id", "no such cart in this shop")
    closed = ctx.session.execute(
        update(CartRow)
        .where(CartRow.id == cart_id, CartRow.order_id.is_(None))
        .values(order_id=order_id, updated_at=ctx.now())
        .execution_options(synchronize_session=False)
    )
    if closed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("this cart has already been checked out", field="cart_id")


# --- allocating and reserving --------------------------------------------------------------------


def warehouse_infos(rows: list[Any]) -> tuple[allocation.WarehouseInfo, ...]:
    return tuple(
        allocation.WarehouseInfo(
            id=row.id,
            kind=row.kind,
            country_code=row.country_code,
            latitude=row.latitude,
            longitude=row.longitude,
            markets=tuple(row.markets),
        )
        for row in rows
    )


def _reserve(
    ctx: Context, order: OrderRow, items: list[tuple[str, int]], market: Any
) -> allocation.Plan:
    """Plan from what is available now and reserve it. When a concurrent buyer took the
    stock between the read and the reservation, plan again from what is left."""
    strategy = allocation.strategy_named(ctx.settings.allocation_strategy)
    warehouses = warehouse_infos(serving_warehouses(ctx, market.code))
    destination = allocation.Destination(market.code, market.country_code or market.code)
    sku_ids = [sku for sku, _ in items]
    for attempt in range(RESERVE_ATTEMPTS):
        plan = strategy.allocate(
            items, destination, ledger.available(ctx.session, sku_ids), warehouses
        )
        if not plan.complete:
            raise _out_of_stock(ctx, plan)
        try:
            with ctx.session.begin_nested():
                ledger.post(
                    ctx,
                    [
                        Move("reserve", p.sku_id, p.warehouse_id, p.quantity)
                        # one lock order for every buyer, so two baskets never deadlock
                        for p in sorted(plan.picks, key=lambda x: (x.warehouse_id, x.sku_id))
                    ],
                    document_type="order",
                    document_id=order.id,
                    reason=f"order {order.number}",
                )
        except OutOfStock:
            if attempt + 1 == RESERVE_ATTEMPTS:
                raise
            continue
        _record_allocations(ctx, order, plan, strategy.name)
        return plan
    raise AssertionError("unreachable")


def _out_of_stock(ctx: Context, plan: allocation.Plan) -> OutOfStock:
    codes = catalog.sku_codes(ctx.session, list(plan.shortfall))
    named = ", ".join(
        f"{codes.get(sku, sku)} ({units} more than available)"
        for sku, units in plan.shortfall.items()
    )
    first = next(iter(plan.shortfall))
    return OutOfStock(
        f"out of stock: {named}",
        field="items",
        sku_id=first,
        shortfall=dict(plan.shortfall),
    )


def _record_allocations(
    ctx: Context, order: OrderRow, plan: allocation.Plan, strategy: str
) -> None:
    now = ctx.now()
    for pick in plan.picks:
        ctx.session.add(
            AllocationRow(
                id=new_id("alc"),
                order_id=order.id,
                sku_id=pick.sku_id,
                warehouse_id=pick.warehouse_id,
                quantity=pick.quantity,
                route=pick.route,
                strategy=strategy,
                reason=plan.reason,
                scores=plan.scores,
                state="reserved",
                created_at=now,
            )
        )


# --- paying --------------------------------------------------------------------------------------


def _take_payment(
    ctx: Context, provider: PaymentProvider, order: OrderRow, card: Card
) -> PaymentRow:
    auth_key = f"{order.id}:authorise"
    try:
        auth = provider.authorise(
            idempotency_key=auth_key,
            amount=order.total,
            currency=order.currency,
            card=card,
            reference=order.number,
        )
    except PaymentTimeout as timeout:
        _void_after_timeout(provider, order, card, auth_key)
        raise PaymentFailed(
            f"payment not taken: {timeout}; nothing was charged, try again",
            field="card",
            decline_code="timeout",
        ) from None
    if not auth.approved:
        raise PaymentFailed(
            f"payment refused: {auth.message}", field="card", decline_code=auth.decline_code
        )
    try:
        captured = provider.capture(
            idempotency_key=f"{order.id}:capture", authorisation_ref=auth.ref, amount=order.total
        )
    except (PaymentTimeout, ProviderRefused) as failed:
        _void(provider, order, auth.ref)
        raise PaymentFailed(f"payment not taken: {failed}", field="card") from None
    _refund_unless_committed(ctx.session, provider, order, captured.ref)
    now = ctx.now()
    payment = PaymentRow(
        id=new_id("pay"),
        order_id=order.id,
        provider=provider.name,
        provider_ref=captured.ref,
        amount=captured.amount,
        currency=order.currency,
        state="captured",
        card_last4=card.last4,
        error="",
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(payment)
    return payment


def _void_after_timeout(provider: PaymentProvider, order: OrderRow, card: Card, key: str) -> None:
    """Ask again with the same key (the provider answers with what it did the first time)
    and void whatever it granted."""
    try:
        granted = provider.authorise(
            idempotency_key=key,
            amount=order.total,
            currency=order.currency,
            card=card,
            reference=order.number,
        )
    except (PaymentTimeout, ProviderRefused):
        log.warning("order %s: provider unreachable; its authorisation will lapse", order.number)
        return
    if granted.approved:
        _void(provider, order, granted.ref)


def _void(provider: PaymentProvider, order: OrderRow, authorisation_ref: str) -> None:
    try:
        provider.void(idempotency_key=f"{order.id}:void", authorisation_ref=authorisation_ref)
    except (PaymentTimeout, ProviderRefused):
        log.warning("order %s: could not void %s", order.number, authorisation_ref)


@dataclass
class _Compensation:
    provider: PaymentProvider
    order_id: str
    number: str
    capture_ref: str
    amount: int
    committed: bool = False
    settled: bool = False

    def transaction_ended(self) -> None:
        if self.settled:
            return
        self.settled = True
        if self.committed:
            return
        try:
            self.provider.refund(
                idempotency_key=f"{self.order_id}:compensate",
                capture_ref=self.capture_ref,
                amount=self.amount,
            )
            log.warning("order %s was not stored; its payment was refunded", self.number)
        except Exception:  # never mask the error that ended the transaction
            log.exception("order %s was not stored and its refund failed", self.number)


def _refund_unless_committed(
    session: Session, provider: PaymentProvider, order: OrderRow, capture_ref: str
) -> None:
    """Money was captured for an order that exists only in this transaction: refund it if
    the transaction ends in anything but a commit."""
    compensation = _Compensation(provider, order.id, order.number, capture_ref, order.total)

    def committed(ended_in: Session) -> None:
        if not ended_in.in_nested_transaction():  # a savepoint's release is no commit
            compensation.committed = True

    def ended(_: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None and not transaction.nested:
            compensation.transaction_ended()

    event.listen(session, "after_commit", committed)
    event.listen(session, "after_transaction_end", ended)
