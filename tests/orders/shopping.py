"""Builders for order tests. A small shop: a mug in two colours on sale in the US, Germany
and the UK, a lamp on sale in the US only, a product never listed and one delisted from
Germany; today's FX rates, a built price book; helpers to put stock on shelves and to buy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from chuhai.catalog import listing
from chuhai.catalog import service as catalog
from chuhai.core.auth import STOREFRONT
from chuhai.inventory import ledger
from chuhai.inventory.ledger import Move
from chuhai.orders import service as orders
from chuhai.pricing import service as pricing

from helpers import draft, import_fx, list_product, sku

RATES = {"EUR": "0.1300", "GBP": "0.1100", "USD": "0.1400", "AUD": "0.2150", "JPY": "21.00"}
APPROVED = "4242 4242 4242 4242"
DECLINED = "4000000000000002"
NO_FUNDS = "4000000000009995"
TIMES_OUT = "4000000000000119"

BERLIN = orders.Address(
    name="Erika Mustermann",
    line1="Unter den Linden 1",
    city="Berlin",
    postal_code="10117",
    country_code="DE",
)
SAN_FRANCISCO = orders.Address(
    name="Jane Doe",
    line1="1 Market St",
    city="San Francisco",
    region="CA",
    postal_code="94105",
    country_code="US",
)


def card(number: str = APPROVED) -> orders.Card:
    return orders.Card(number=number, expiry_month=12, expiry_year=date.today().year + 2, cvc="123")


@dataclass
class Shop:
    mug_white: str
    mug_black: str
    mug_product: str
    lamp: str  # on sale in the US only
    unlisted: str
    delisted: str  # delisted from DE, still on sale in the US

    def stock(self, unit: Any, sku_id: str, warehouse: str, units: int) -> None:
        with unit() as ctx:
            ledger.post(
                ctx,
                [
                    Move("receipt", sku_id, warehouse, units),
                    Move("put_away", sku_id, warehouse, units),
                ],
                document_type="test",
                document_id="stock",
            )

    def buy(
        self,
        unit: Any,
        market: str = "DE",
        items: list[tuple[str, int]] | None = None,
        **changes: Any,
    ) -> Any:
        values: dict[str, Any] = dict(
            market_code=market,
            items=[(self.mug_white, 1)] if items is None else items,
            email="buyer@example.com",
            address=BERLIN if market == "DE" else SAN_FRANCISCO,
            card=card(),
        )
        values.update(changes)
        with unit(STOREFRONT) as ctx:
            return orders.checkout(ctx, **values)


def _sku_ids(unit: Any, product_id: str) -> list[str]:
    with unit() as ctx:
        return [s.id for s in catalog.skus_of(ctx.session, product_id)]


def build_shop(unit: Any, world: Any) -> Shop:
    today = date.today()
    for day in (today - timedelta(days=1), today):
        import_fx(unit, world, day.isoformat(), RATES)
    mug = list_product(unit, world, draft("MUG-350"), ["US", "DE", "GB"])
    lamp = list_product(
        unit,
        world,
        draft("LAMP-1", title_en="Desk lamp", skus=[sku("LAMP-1-WHT", "40.00", weight_g=900)]),
        ["US"],
    )
    gone = list_product(
        unit,
        world,
        draft("VASE-1", title_en="Vase", skus=[sku("VASE-1-BLU", "20.00")]),
        ["US", "DE"],
    )
    with unit(world["merchandiser"]) as ctx:
        listing.delist(ctx, gone, "supplier stopped making it for the EU", ["DE"])
    with unit(world["supplier_a"]) as ctx:
        hidden = catalog.create_product(ctx, draft("HIDDEN-1", skus=[sku("HIDDEN-1-RED", "9.00")]))
    with unit(world["merchandiser"]) as ctx:
        pricing.rebuild_price_book(ctx)
    with unit() as ctx:
        by_code = {s.sku_code: s.id for s in catalog.skus_of(ctx.session, mug)}
    return Shop(
        mug_white=by_code["MUG-350-WHT"],
        mug_black=by_code["MUG-350-BLK"],
        mug_product=mug,
        lamp=_sku_ids(unit, lamp)[0],
        unlisted=_sku_ids(unit, hidden.id)[0],
        delisted=_sku_ids(unit, gone)[0],
    )
