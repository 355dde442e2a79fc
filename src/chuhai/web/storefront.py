"""The reference storefront: one public shop per market, in the market's language and
currency, with prices from the price book and duties and taxes shown as the market expects.

Anyone may browse and buy; the storefront acts as the STOREFRONT actor, which may only
browse, quote and check out. The cart lives on the server; its unguessable id rides in a
cookie. Forms carry a double-submit token (a cookie and a hidden field that must match),
so another site cannot post into a shopper's cart.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from chuhai.catalog import service as catalog
from chuhai.core.auth import STOREFRONT
from chuhai.core.context import Context
from chuhai.core.errors import ChuhaiError, Forbidden, NotFound, ValidationFailed
from chuhai.core.money import format_minor
from chuhai.core.runtime import runtime
from chuhai.demand import signals as demand
from chuhai.markets import service as markets
from chuhai.orders import service as orders
from chuhai.web.console import redirect, templates
from chuhai.web.shop_text import EU_COUNTRIES, TEXT, language_of, locale_of

router = APIRouter(prefix="/shop", include_in_schema=False)
CSRF_COOKIE = "chuhai_shop_csrf"


def _cart_cookie(market_code: str) -> str:
    return f"chuhai_cart_{market_code}"


@dataclass
class Shop:
    ctx: Context
    request: Request
    market: Any  # the market row
    csrf_token: str

    @property
    def text(self) -> dict[str, str]:
        return TEXT[language_of(self.market.languages)]

    def money(self, amount: int) -> str:
        return format_minor(amount, self.market.currency, locale_of(self.market.languages))

    @property
    def cart_id(self) -> str | None:
        return self.request.cookies.get(_cart_cookie(self.market.code))


@contextmanager
def _open_shop(request: Request, market_code: str, sent_token: str | None) -> Iterator[Shop]:
    rt = runtime(request)
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    if request.method == "POST" and not hmac.compare_digest(sent_token or "", token):
        raise Forbidden("the form has expired; reload the page and try again")
    with rt.db.unit_of_work() as uow:
        ctx = Context(uow.session, STOREFRONT, rt.clock, rt.settings)
        market = markets.get_market(ctx, market_code.upper())
        if not market.active:
            raise NotFound(f"no shop for {market_code!r}", field="market_code")
        yield Shop(ctx, request, market, token)


def shop_page(request: Request, market_code: str) -> Iterator[Shop]:
    with _open_shop(request, market_code, None) as shop:
        yield shop


def shop_form(
    request: Request, market_code: str, csrf_token: str | None = Form(None)
) -> Iterator[Shop]:
    with _open_shop(request, market_code, csrf_token) as shop:
        yield shop


def _render(shop: Shop, template: str, status_code: int = 200, **data: Any) -> HTMLResponse:
    context = {
        "shop": shop,
        "market": shop.market,
        "t": shop.text,
        "lang": language_of(shop.market.languages),
        "csrf_token": shop.csrf_token,
        "price_note": _price_note(shop),
        "error": shop.request.query_params.get("error"),
        **data,
    }
    response = templates.TemplateResponse(shop.request, template, context, status_code=status_code)
    response.set_cookie(CSRF_COOKIE, shop.csrf_token, httponly=True, samesite="lax")
    return response


def _price_note(shop: Shop) -> str:
    key = "price_note_inclusive" if shop.market.tax_inclusive else "price_note_exclusive"
    return shop.text[key]


def _regime_note(shop: Shop, quote: Any) -> str:
    if quote is None:
        return ""
    if quote.regime.startswith("low value: VAT collected at checkout"):
        in_eu = shop.market.country_code in EU_COUNTRIES
        return shop.text["ioss_note" if in_eu else "low_value_note"]
    return shop.text["ddp_note"] if quote.due_on_delivery == 0 else ""


# --- pages -----------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def shops(request: Request) -> HTMLResponse:
    rt = runtime(request)
    with rt.db.unit_of_work() as uow:
        ctx = Context(uow.session, STOREFRONT, rt.clock, rt.settings)
        rows = [m for m in markets.list_markets(ctx) if m.active]
        return templates.TemplateResponse(request, "shop/shops.html", {"markets": rows})


@router.get("/{market_code}", response_class=HTMLResponse)
def catalogue(
    q: str | None = None, offset: int = 0, shop: Shop = Depends(shop_page)
) -> HTMLResponse:
    found = orders.shop_products(
        shop.ctx, shop.market.code, search=q or None, limit=24, offset=max(offset, 0)
    )
    if q and offset <= 0:  # a search counts once, not once per page of results
        category = demand.main_category(p.category_code for p in found.items)
        demand.record_storefront(
            runtime(shop.request),
            shop.market.code,
            demand.SEARCH,
            category_code=category,
            query=q,
        )
    return _render(shop, "shop/catalogue.html", page=found, q=q or "")


@router.get("/{market_code}/products/{product_id}", response_class=HTMLResponse)
def product(product_id: str, shop: Shop = Depends(shop_page)) -> HTMLResponse:
    item = orders.shop_product(shop.ctx, shop.market.code, product_id)
    skus = [s.sku_id for s in item.skus]
    demand.record_storefront(runtime(shop.request), shop.market.code, demand.VIEW, sku_ids=skus)
    return _render(shop, "shop/product.html", product=item)


@router.get("/{market_code}/images/{image_id}")
def image(image_id: str, shop: Shop = Depends(shop_page)) -> Response:
    content_type, content = catalog.shop_image(shop.ctx, image_id)
    return Response(content, media_type=content_type, headers={"Cache-Control": "max-age=3600"})


@router.post("/{market_code}/cart/items")
def add_to_cart(
    sku_id: str = Form(...),
    quantity: int = Form(1),
    replace: bool = Form(False),
    shop: Shop = Depends(shop_form),
) -> Response:
    cart = _current_cart(shop)
    held = 0 if replace else _held(cart, sku_id)
    where = f"/shop/{shop.market.code}/cart"
    try:
        orders.set_cart_item(shop.ctx, cart.id, sku_id, held + quantity)
    except ChuhaiError as exc:
        return redirect(where, error=exc.detail)
    shop.ctx.session.commit()
    if quantity > 0:
        demand.record_storefront(
            runtime(shop.request),
            shop.market.code,
            demand.ADD_TO_CART,
            sku_ids=[sku_id],
        )
    response = redirect(where)
    response.set_cookie(_cart_cookie(shop.market.code), cart.id, httponly=True, samesite="lax")
    return response


def _current_cart(shop: Shop) -> Any:
    if shop.cart_id:
        try:
            cart = orders.get_cart(shop.ctx, shop.cart_id)
            if cart.order_id is None and cart.market_code == shop.market.code:
                return cart
        except NotFound:
            pass
    return orders.create_cart(shop.ctx, shop.market.code)


def _held(cart: Any, sku_id: str) -> int:
    return sum(int(item["quantity"]) for item in cart.items if item["sku_id"] == sku_id)


@router.get("/{market_code}/cart", response_class=HTMLResponse)
def cart_page(shop: Shop = Depends(shop_page)) -> HTMLResponse:
    cart, quote, names = _cart_and_quote(shop)
    return _render(
        shop,
        "shop/cart.html",
        cart=cart,
        quote=quote,
        names=names,
        regime_note=_regime_note(shop, quote),
        form={},
    )


def _cart_and_quote(shop: Shop) -> tuple[Any, Any, dict[str, str]]:
    cart = None
    if shop.cart_id:
        try:
            cart = orders.get_cart(shop.ctx, shop.cart_id)
        except NotFound:
            cart = None
    if cart is None or cart.order_id is not None or not cart.items:
        return cart, None, {}
    quote = orders.cart_quote(shop.ctx, cart.id)
    names = catalog.sku_codes(shop.ctx.session, [item["sku_id"] for item in cart.items])
    return cart, quote, names


@router.post("/{market_code}/checkout", response_class=HTMLResponse)
def checkout(
    email: str = Form(""),
    name: str = Form(""),
    line1: str = Form(""),
    line2: str = Form(""),
    city: str = Form(""),
    region: str = Form(""),
    postal_code: str = Form(""),
    card_number: str = Form(""),
    expiry_month: str = Form(""),
    expiry_year: str = Form(""),
    cvc: str = Form(""),
    shop: Shop = Depends(shop_form),
) -> Response:
    given = dict(
        email=email,
        name=name,
        line1=line1,
        line2=line2,
        city=city,
        region=region,
        postal_code=postal_code,
        card_number=card_number,
        expiry_month=expiry_month,
        expiry_year=expiry_year,
        cvc=cvc,
    )
    form = {key: value.strip() for key, value in given.items()}
    return _checkout(shop, form)


def _checkout(shop: Shop, form: dict[str, str]) -> Response:
    cart, quote, names = _cart_and_quote(shop)
    if cart is not None and cart.order_id is not None:  # a second click on "Pay"
        placed = orders.order_view(shop.ctx, cart.order_id).order
        return redirect(f"/shop/{shop.market.code}/orders/{placed.number}")
    if cart is None or quote is None:
        return redirect(f"/shop/{shop.market.code}/cart", error=shop.text["empty_cart"])
    try:
        order = orders.checkout(
            shop.ctx,
            market_code=shop.market.code,
            items=[(item["sku_id"], int(item["quantity"])) for item in cart.items],
            email=form.get("email", ""),
            address=_address(form, shop.market.country_code),
            card=_card(form),
            cart_id=cart.id,
        )
        shop.ctx.session.commit()
    except ChuhaiError as exc:  # bad fields, out of stock, payment refused
        shop.ctx.session.rollback()
        fields = exc.errors if isinstance(exc, ValidationFailed) else []
        return _render(
            shop,
            "shop/cart.html",
            status_code=exc.status,
            cart=cart,
            quote=quote,
            names=names,
            regime_note=_regime_note(shop, quote),
            form=form,
            errors={e.field: e.message for e in fields},
            failure=exc.detail,
        )
    response = redirect(f"/shop/{shop.market.code}/orders/{order.number}?placed=1")
    response.set_cookie(f"chuhai_order_{order.number}", order.email, httponly=True, samesite="lax")
    return response


def _address(form: dict[str, str], country_code: str | None) -> orders.Address:
    return orders.Address(
        name=form.get("name", ""),
        line1=form.get("line1", ""),
        line2=form.get("line2", ""),
        city=form.get("city", ""),
        region=form.get("region", ""),
        postal_code=form.get("postal_code", ""),
        country_code=country_code or "",
    )


def _card(form: dict[str, str]) -> orders.Card:
    def whole(name: str) -> int:
        value = form.get(name, "").strip()
        return int(value) if value.isdigit() else 0

    return orders.Card(
        number=form.get("card_number", ""),
        expiry_month=whole("expiry_month"),
        expiry_year=whole("expiry_year"),
        cvc=form.get("cvc", ""),
    )


@router.get("/{market_code}/orders/{number}", response_class=HTMLResponse)
def order_page(
    number: str, email: str | None = None, placed: int = 0, shop: Shop = Depends(shop_page)
) -> HTMLResponse:
    """The buyer's view of an order: the email given at checkout unlocks it (or the cookie
    set in the browser that placed it)."""
    email = email or shop.request.cookies.get(f"chuhai_order_{number}")
    if not email:
        return _render(shop, "shop/track.html", number=number)
    order = orders.find_order(shop.ctx, number, email)
    view = orders.order_view(shop.ctx, order.id)
    names = catalog.sku_codes(shop.ctx.session, [line.sku_id for line in view.lines])
    return _render(shop, "shop/order.html", view=view, names=names, placed=bool(placed))
