"""The public storefront API: browse a market's shop, fill a cart, check out, look up an order.

No token: every route acts as the storefront (`core.auth.STOREFRONT`), which may browse,
quote and buy, nothing else. A cart's id is a secret only its holder knows.

Idempotency-Key: every shopper acts as the same storefront, so a key alone could collide
between two shoppers (and replay one shopper's answer to another). Storefront keys are
therefore scoped: a checkout's key to its cart (a secret) or, without a cart, to the
buyer's email; a cart's creation to its market. Keys must be 16-120 characters (a UUID is
right) so that the scoped remainder cannot be guessed. The request fingerprint never holds
the card number: only its last four digits and expiry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from chuhai.api.idempotency import run_idempotent
from chuhai.api.schemas import MoneyOut, PageOut, Strict
from chuhai.core.auth import STOREFRONT
from chuhai.core.context import Context
from chuhai.core.errors import ValidationFailed
from chuhai.core.runtime import runtime
from chuhai.demand import signals as demand
from chuhai.orders import service as orders
from chuhai.orders.model import ShopProduct

router = APIRouter(prefix="/storefront", tags=["storefront"])
KEY_LENGTH = (16, 120)


def storefront_context(request: Request) -> Iterator[Context]:
    rt = runtime(request)
    with rt.db.unit_of_work() as uow:
        yield Context(uow.session, STOREFRONT, rt.clock, rt.settings)


# --- shapes ------------------------------------------------------------------------------------


class ShopSkuOut(BaseModel):
    sku_id: str
    sku_code: str
    options: dict[str, str]
    price: MoneyOut
    available: bool


class ShopProductOut(BaseModel):
    product_id: str
    title: str
    description: str
    category_code: str
    image_urls: list[str]
    skus: list[ShopSkuOut]


class CartItemIn(Strict):
    sku_id: str = Field(max_length=40)
    quantity: int = Field(description="0 takes the item out")


class QuoteLineOut(BaseModel):
    sku_id: str
    quantity: int
    unit_price: MoneyOut
    line_total: MoneyOut


class CartQuoteOut(BaseModel):
    regime: str
    lines: list[QuoteLineOut]
    goods: MoneyOut
    duty: MoneyOut
    vat: MoneyOut
    total: MoneyOut


class CartOut(BaseModel):
    id: str = Field(description="a secret: whoever holds it holds the cart")
    market_code: str
    items: list[dict[str, Any]]
    order_id: str | None
    quote: CartQuoteOut | None


class AddressIn(Strict):
    name: str = Field(max_length=200)
    line1: str = Field(max_length=200)
    city: str = Field(max_length=100)
    postal_code: str = Field(max_length=20)
    country_code: str = Field(max_length=2)
    line2: str = Field("", max_length=200)
    region: str = Field("", max_length=100)
    phone: str = Field("", max_length=40)


class CardIn(Strict):
    number: str = Field(max_length=30)
    expiry_month: int
    expiry_year: int
    cvc: str = Field(max_length=4)


class CheckoutIn(Strict):
    email: str = Field(max_length=200)
    address: AddressIn
    card: CardIn
    items: list[CartItemIn] = Field(
        default_factory=list, description="what to buy; empty to buy what the cart holds"
    )
    cart_id: str | None = Field(None, max_length=40)


class OrderLineOut(BaseModel):
    sku_id: str
    quantity: int
    unit_price: MoneyOut
    unit_duty: MoneyOut
    unit_vat: MoneyOut
    line_total: MoneyOut
    returned: int


class ShipmentOut(BaseModel):
    carrier: str
    service: str
    tracking_number: str
    state: str


class OrderEventOut(BaseModel):
    action: str
    from_state: str | None
    to_state: str
    at: Any


class StoreOrderOut(BaseModel):
    number: str
    state: str
    market_code: str
    email: str
    ship_to: dict[str, Any]
    regime: str
    goods: MoneyOut
    duty: MoneyOut
    vat: MoneyOut
    total: MoneyOut
    refunded: MoneyOut
    lines: list[OrderLineOut]
    shipments: list[ShipmentOut]
    history: list[OrderEventOut]
    placed_at: Any


# --- conversions ---------------------------------------------------------------------------------


def product_out(market_code: str, product: ShopProduct) -> ShopProductOut:
    return ShopProductOut(
        product_id=product.product_id,
        title=product.title,
        description=product.description,
        category_code=product.category_code,
        image_urls=[f"/shop/{market_code}/images/{image}" for image in product.image_ids],
        skus=[
            ShopSkuOut(
                sku_id=s.sku_id,
                sku_code=s.sku_code,
                options=s.options,
                price=MoneyOut.of(s.price, s.currency),
                available=s.available,
            )
            for s in product.skus
        ],
    )


def cart_out(ctx: Context, cart_id: str) -> CartOut:
    cart = orders.get_cart(ctx, cart_id)
    quote = orders.cart_quote(ctx, cart.id) if cart.order_id is None else None
    return CartOut(
        id=cart.id,
        market_code=cart.market_code,
        items=list(cart.items),
        order_id=cart.order_id,
        quote=_quote_out(quote) if quote else None,
    )


def _quote_out(quote: Any) -> CartQuoteOut:
    currency = quote.currency
    return CartQuoteOut(
        regime=quote.regime,
        lines=[
            QuoteLineOut(
                sku_id=line.sku_id,
                quantity=line.quantity,
                unit_price=MoneyOut.of(line.unit.price, currency),
                line_total=MoneyOut.of(line.unit.price * line.quantity, currency),
            )
            for line in quote.lines
        ],
        goods=MoneyOut.of(quote.goods, currency),
        duty=MoneyOut.of(quote.duty, currency),
        vat=MoneyOut.of(quote.vat, currency),
        total=MoneyOut.of(quote.total, currency),
    )


def store_order_out(ctx: Context, order_id: str) -> StoreOrderOut:
    view = orders.order_view(ctx, order_id)
    order, currency = view.order, view.order.currency
    return StoreOrderOut(
        number=order.number,
        state=order.state,
        market_code=order.market_code,
        email=order.email,
        ship_to=order.ship_to,
        regime=order.regime,
        goods=MoneyOut.of(order.goods, currency),
        duty=MoneyOut.of(order.duty, currency),
        vat=MoneyOut.of(order.vat, currency),
        total=MoneyOut.of(order.total, currency),
        refunded=MoneyOut.of(order.refunded, currency),
        lines=[
            OrderLineOut(
                sku_id=line.sku_id,
                quantity=line.quantity,
                unit_price=MoneyOut.of(line.unit_price, currency),
                unit_duty=MoneyOut.of(line.unit_duty, currency),
                unit_vat=MoneyOut.of(line.unit_vat, currency),
                line_total=MoneyOut.of(line.line_total, currency),
                returned=line.returned,
            )
            for line in view.lines
        ],
        shipments=[
            ShipmentOut(
                carrier=s.carrier,
                service=s.service,
                tracking_number=s.tracking_number,
                state=s.state,
            )
            for s in view.shipments
        ],
        history=[
            OrderEventOut(action=h.action, from_state=h.from_state, to_state=h.to_state, at=h.at)
            for h in view.history
        ],
        placed_at=order.placed_at,
    )


# --- idempotency scoped per shopper -----------------------------------------------------------


def scoped_key(key: str | None, scope: str) -> str | None:
    if key is None:
        return None
    low, high = KEY_LENGTH
    if not low <= len(key.strip()) <= high:
        raise ValidationFailed.one(
            "Idempotency-Key", f"{low}-{high} characters on the storefront (a UUID, say)"
        )
    return f"{scope}:{key.strip()}"


def checkout_scope(market_code: str, body: CheckoutIn) -> str:
    if body.cart_id:
        return f"checkout:{market_code.upper()}:{body.cart_id}"
    email = hashlib.sha256(body.email.strip().lower().encode()).hexdigest()[:32]
    return f"checkout:{market_code.upper()}:{email}"


def fingerprint_payload(body: CheckoutIn) -> dict[str, Any]:
    """The request as the idempotency record remembers it: the card without its number."""
    payload = body.model_dump()
    card = body.card
    digits = "".join(ch for ch in card.number if ch.isdigit())
    payload["card"] = {
        "last4": digits[-4:],
        "expiry_month": card.expiry_month,
        "expiry_year": card.expiry_year,
    }
    return payload


# --- routes --------------------------------------------------------------------------------------


@router.get("/{market_code}/products", response_model=PageOut[ShopProductOut])
def products(
    market_code: str,
    request: Request,
    q: str | None = None,
    limit: int = 24,
    offset: int = 0,
    ctx: Context = Depends(storefront_context),
) -> PageOut[ShopProductOut]:
    page = orders.shop_products(ctx, market_code, search=q, limit=limit, offset=offset)
    market = market_code.upper()
    if q and offset <= 0:  # a search counts once, not once per page of results
        category = demand.main_category(p.category_code for p in page.items)
        demand.record_storefront(
            runtime(request),
            market,
            demand.SEARCH,
            category_code=category,
            query=q,
        )
    return PageOut(
        items=[product_out(market, p) for p in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{market_code}/products/{product_id}", response_model=ShopProductOut)
def product(
    market_code: str,
    product_id: str,
    request: Request,
    ctx: Context = Depends(storefront_context),
) -> ShopProductOut:
    item = orders.shop_product(ctx, market_code, product_id)
    skus = [s.sku_id for s in item.skus]
    demand.record_storefront(runtime(request), market_code.upper(), demand.VIEW, sku_ids=skus)
    return product_out(market_code.upper(), item)


@router.post("/{market_code}/carts", status_code=201, response_model=CartOut)
def create_cart(
    market_code: str,
    request: Request,
    ctx: Context = Depends(storefront_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    def create() -> CartOut:
        cart = orders.create_cart(ctx, market_code)
        return cart_out(ctx, cart.id)

    key = scoped_key(idempotency_key, f"cart:{market_code.upper()}")
    return run_idempotent(ctx, request, key, {"market_code": market_code}, create)


@router.get("/carts/{cart_id}", response_model=CartOut)
def get_cart(cart_id: str, ctx: Context = Depends(storefront_context)) -> CartOut:
    return cart_out(ctx, cart_id)


@router.put("/carts/{cart_id}/items", response_model=CartOut)
def set_cart_item(
    cart_id: str,
    body: CartItemIn,
    request: Request,
    ctx: Context = Depends(storefront_context),
) -> CartOut:
    """Hold this many units of a SKU in the cart (0 takes it out)."""
    held = sum(
        int(item["quantity"])
        for item in orders.get_cart(ctx, cart_id).items
        if item["sku_id"] == body.sku_id
    )
    cart = orders.set_cart_item(ctx, cart_id, body.sku_id, body.quantity)
    ctx.session.commit()
    if body.quantity > held:  # more of it in the cart: an add-to-cart
        demand.record_storefront(
            runtime(request),
            cart.market_code,
            demand.ADD_TO_CART,
            sku_ids=[body.sku_id],
        )
    return cart_out(ctx, cart_id)


@router.post("/{market_code}/checkout", status_code=201, response_model=StoreOrderOut)
def checkout(
    market_code: str,
    body: CheckoutIn,
    request: Request,
    ctx: Context = Depends(storefront_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    """Pay for the items (or the cart's items) and place the order: 201 with the order;
    402 when the payment is refused or times out, 409 when a SKU is out of stock, 422 naming
    each bad field. Nothing is kept from a failed checkout."""

    def create() -> StoreOrderOut:
        items = [(item.sku_id, item.quantity) for item in body.items]
        if not items and body.cart_id:
            cart = orders.get_cart(ctx, body.cart_id)
            items = [(item["sku_id"], int(item["quantity"])) for item in cart.items]
        order = orders.checkout(
            ctx,
            market_code=market_code,
            items=items,
            email=body.email,
            address=orders.Address(**body.address.model_dump()),
            card=orders.Card(**body.card.model_dump()),
            cart_id=body.cart_id,
        )
        return store_order_out(ctx, order.id)

    key = scoped_key(idempotency_key, checkout_scope(market_code, body))
    return run_idempotent(ctx, request, key, fingerprint_payload(body), create)


@router.get("/orders/{number}", response_model=StoreOrderOut)
def find_order(
    number: str, email: str, ctx: Context = Depends(storefront_context)
) -> StoreOrderOut:
    """The buyer's order: the number and the email given at checkout."""
    order = orders.find_order(ctx, number, email)
    return store_order_out(ctx, order.id)
