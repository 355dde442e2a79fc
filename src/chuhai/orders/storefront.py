"""What a shopper sees and holds before checkout: the products on sale in a market, priced
from the price book, and carts.

The storefront acts for anonymous shoppers (`core.auth.STOREFRONT`); it sees only products
listed in the market with a price in force, in the market's language where the catalog has
it (Chinese for the domestic market, English elsewhere). A cart's id is a random secret:
it is the only key a shopper's browser holds.

The shop reads the catalog's and the price book's tables directly, read-only, in one joined
query per page: neither capability has a buyer-facing read yet (their services check
operator or supplier tenancy, which an anonymous shopper has not).
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from chuhai.catalog import service as catalog
from chuhai.catalog.tables import ProductImageRow, ProductMarketRow, ProductRow, SkuRow
from chuhai.core.auth import SYSTEM
from chuhai.core.context import Context
from chuhai.core.errors import Conflict, NotFound, ValidationFailed
from chuhai.core.pagination import Page, check_window, paginate
from chuhai.inventory import ledger
from chuhai.inventory import warehouses as warehouse_service
from chuhai.markets import service as markets
from chuhai.orders.model import MAX_LINES, MAX_UNITS_PER_LINE, ShopProduct, ShopSku
from chuhai.orders.tables import CartRow
from chuhai.pricing import service as pricing
from chuhai.pricing.tables import PriceRow

# shop prices are direct mail from China, delivered duty paid — or, in China, domestic
SHOP_ROUTES = ("9610", "domestic")


def shop_route(market: Any) -> str:
    """The route a market's shop prices and quotes on."""
    return "9610" if market.customs else "domestic"


def platform(ctx: Context) -> Context:
    """The same transaction acting as the platform, for reads a shopper cannot make
    itself but the platform makes on their behalf (which warehouses serve a market)."""
    return Context(ctx.session, SYSTEM, ctx.clock, ctx.settings)


def open_market(ctx: Context, market_code: str) -> Any:
    market = markets.get_market(ctx, (market_code or "").upper())
    if not market.active:
        raise NotFound(f"no shop for market {market_code!r}", field="market_code")
    return market


def _language(market: Any) -> str:
    return "zh" if market.languages.split(",")[0].startswith("zh") else "en"


def _priced(market_code: str) -> Any:
    return (
        exists()
        .where(PriceRow.sku_id == SkuRow.id)
        .where(PriceRow.market_code == market_code, PriceRow.route.in_(SHOP_ROUTES))
        .where(PriceRow.price.is_not(None), SkuRow.product_id == ProductRow.id)
    )


def _listed_query(market_code: str) -> Any:
    return (
        select(ProductRow)
        .join(ProductMarketRow, ProductMarketRow.product_id == ProductRow.id)
        .where(ProductMarketRow.market_code == market_code, ProductMarketRow.status == "listed")
        .where(_priced(market_code))
    )


def shop_products(
    ctx: Context,
    market_code: str,
    *,
    search: str | None = None,
    limit: int = 24,
    offset: int = 0,
) -> Page[ShopProduct]:
    """Products on sale in a market, newest listings first, optionally matching a search."""
    market = open_market(ctx, market_code)
    check_window(limit, offset)
    query = _listed_query(market.code).order_by(ProductMarketRow.listed_at.desc(), ProductRow.id)
    if search and search.strip():
        pattern = f"%{search.strip()[:100]}%"
        query = query.where(
            or_(
                ProductRow.title_en.ilike(pattern),
                ProductRow.title_zh.ilike(pattern),
                ProductRow.brand.ilike(pattern),
            )
        )
    page = paginate(ctx.session, query, limit, offset)
    items = _shop_products(ctx, market, page.items)
    return Page(items=items, total=page.total, limit=limit, offset=offset)


def shop_product(ctx: Context, market_code: str, product_id: str) -> ShopProduct:
    """One product on sale in the market; 404 when it is not (unknown, unlisted, delisted,
    or listed elsewhere only)."""
    market = open_market(ctx, market_code)
    row = ctx.session.scalar(_listed_query(market.code).where(ProductRow.id == product_id))
    if row is None:
        raise NotFound(f"no product {product_id!r} on sale in {market.code}", field="product_id")
    return _shop_products(ctx, market, [row])[0]


def _shop_products(ctx: Context, market: Any, rows: list[ProductRow]) -> list[ShopProduct]:
    session = ctx.session
    ids = [row.id for row in rows]
    skus = list(
        session.scalars(select(SkuRow).where(SkuRow.product_id.in_(ids)).order_by(SkuRow.sku_code))
    )
    prices = _prices(session, market.code, [s.id for s in skus])
    stocked = in_stock(ctx, market.code, [s.id for s in skus])
    images: dict[str, list[str]] = {}
    for image in session.scalars(
        select(ProductImageRow)
        .where(ProductImageRow.product_id.in_(ids))
        .order_by(ProductImageRow.position, ProductImageRow.created_at)
    ):
        images.setdefault(image.product_id, []).append(image.id)
    language = _language(market)
    found = []
    for row in rows:
        shop_skus = [
            ShopSku(
                sku_id=s.id,
                sku_code=s.sku_code,
                options={str(k): str(v) for k, v in (s.options or {}).items()},
                price=prices[s.id],
                currency=market.currency,
                available=s.id in stocked,
            )
            for s in skus
            if s.product_id == row.id and s.id in prices
        ]
        found.append(
            ShopProduct(
                product_id=row.id,
                title=(row.title_zh if language == "zh" else row.title_en) or row.title_en,
                description=(row.description_zh if language == "zh" else row.description_en)
                or row.description_en,
                category_code=row.category_code,
                image_ids=images.get(row.id, []),
                skus=shop_skus,
            )
        )
    return found


def _prices(session: Session, market_code: str, sku_ids: list[str]) -> dict[str, int]:
    query = select(PriceRow.sku_id, PriceRow.price).where(
        PriceRow.sku_id.in_(sku_ids),
        PriceRow.market_code == market_code,
        PriceRow.route.in_(SHOP_ROUTES),
        PriceRow.price.is_not(None),
    )
    return {sku_id: int(price or 0) for sku_id, price in session.execute(query)}


def serving_warehouses(ctx: Context, market_code: str) -> list[Any]:
    """The active warehouses that may serve a market (the platform's data, read for the
    shopper)."""
    rows = warehouse_service.list_warehouses(platform(ctx), market=market_code)
    return [row for row in rows if row.active]


def in_stock(ctx: Context, market_code: str, sku_ids: list[str]) -> set[str]:
    """The SKUs some warehouse serving the market has available."""
    serving = {row.id for row in serving_warehouses(ctx, market_code)}
    available = ledger.available(ctx.session, sku_ids)
    return {sku for (sku, warehouse), units in available.items() if warehouse in serving and units}


def not_on_sale(session: Session, market_code: str, sku_ids: list[str]) -> set[str]:
    """Those of the SKUs not on sale in the market: unknown, never listed there, delisted."""
    listed = {
        sku for sku, market in catalog.listed_sku_markets(session, sku_ids) if market == market_code
    }
    return set(sku_ids) - listed


# --- carts ---------------------------------------------------------------------------------------


def create_cart(ctx: Context, market_code: str) -> CartRow:
    ctx.actor.require("storefront.buy")
    market = open_market(ctx, market_code)
    now = ctx.now()
    cart = CartRow(
        id=f"cart_{secrets.token_urlsafe(24)}",  # a bearer secret, so not a time-ordered id
        market_code=market.code,
        items=[],
        order_id=None,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(cart)
    ctx.session.flush()
    return cart


def get_cart(ctx: Context, cart_id: str) -> CartRow:
    ctx.actor.require("storefront.buy")
    cart = ctx.session.get(CartRow, cart_id) if isinstance(cart_id, str) else None
    if cart is None:
        raise NotFound("no such cart", field="cart_id")
    return cart


def set_cart_item(ctx: Context, cart_id: str, sku_id: str, quantity: int) -> CartRow:
    """Hold `quantity` units of a SKU in the cart; 0 takes it out."""
    cart = get_cart(ctx, cart_id)
    if cart.order_id is not None:
        raise Conflict("this cart has been checked out; start a new one", field="cart_id")
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise ValidationFailed.one("quantity", "a whole number")
    if not 0 <= quantity <= MAX_UNITS_PER_LINE:
        raise ValidationFailed.one("quantity", f"from 0 (remove) to {MAX_UNITS_PER_LINE}")
    items = [dict(item) for item in cart.items if item["sku_id"] != sku_id]
    if quantity:
        if not_on_sale(ctx.session, cart.market_code, [sku_id]):
            raise ValidationFailed.one("sku_id", f"not on sale in {cart.market_code}")
        if len(items) >= MAX_LINES:
            raise ValidationFailed.one("sku_id", f"a cart holds at most {MAX_LINES} items")
        items.append({"sku_id": sku_id, "quantity": quantity})
    cart.items = items
    cart.updated_at = ctx.now()
    ctx.session.flush()
    return cart


def cart_quote(ctx: Context, cart_id: str) -> pricing.Quote | None:
    """What the cart costs delivered, duties and taxes included; None when it is empty."""
    cart = get_cart(ctx, cart_id)
    if not cart.items:
        return None
    items = [(item["sku_id"], int(item["quantity"])) for item in cart.items]
    route = shop_route(markets.get_market(ctx, cart.market_code))
    return pricing.quote(ctx, cart.market_code, items, route=route, terms="DDP")
