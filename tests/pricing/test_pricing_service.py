"""Pricing through the services: rules from the database, FX of the day, the price book."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update

from chuhai.catalog import service as catalog
from chuhai.catalog.tables import SkuRow
from chuhai.core.errors import Conflict, ValidationFailed
from chuhai.pricing import service as pricing

from helpers import draft, import_fx, list_product, sku

TODAY = date(2026, 11, 28)
RATES = {"EUR": "0.1300", "GBP": "0.1100", "USD": "0.1400", "AUD": "0.2150", "JPY": "21.00"}


@pytest.fixture
def shoes(unit, world):
    product = draft(
        "SHOE-1",
        category_code="shoes",
        title_en="Leather loafers",
        title_zh="真皮乐福鞋",
        skus=[sku("SHOE-1-42", "60.00", weight_g=600, length_mm=300, width_mm=200, height_mm=100)],
        target_markets=["DE", "US", "GB"],
    )
    product_id = list_product(unit, world, product, ["DE", "US", "GB"])
    with unit(world["merchandiser"]) as ctx:
        sku_row = catalog.skus_of(ctx.session, product_id)[0]
    return sku_row.id


def test_a_sku_is_priced_with_the_rules_and_rate_of_the_day(unit, world, shoes):
    import_fx(unit, world, "2026-11-27", RATES)
    with unit(world["merchandiser"]) as ctx:
        priced = pricing.price_sku(ctx, shoes, "DE", "9610", TODAY)
    assert (priced.currency, str(priced.fx_rate), priced.fx_on) == (
        "EUR",
        "0.13",
        date(2026, 11, 27),
    )
    assert priced.breakdown.regime == "low value: VAT collected at checkout, flat duty per item"
    assert priced.breakdown.price == 3399
    assert "no HS code yet: default duty estimate" in priced.duty_lines


def test_a_market_without_a_rate_for_the_day_is_refused_naming_the_pair(unit, world, shoes):
    import_fx(unit, world, "2026-11-27", {"EUR": "0.1300"})
    with unit(world["merchandiser"]) as ctx, pytest.raises(Conflict) as caught:
        pricing.price_sku(ctx, shoes, "US", "9610", TODAY)
    assert "CNY→USD" in caught.value.detail


def test_a_stale_rate_is_never_used(unit, world, shoes):
    import_fx(unit, world, "2026-10-01", {"EUR": "0.1300"})
    with unit(world["merchandiser"]) as ctx, pytest.raises(Conflict) as caught:
        pricing.price_sku(ctx, shoes, "DE", "9610", TODAY)
    assert "2026-10-01" in caught.value.detail


def test_a_sku_without_weight_is_not_priced(unit, world, shoes):
    import_fx(unit, world, "2026-11-27", RATES)
    with unit() as ctx:
        ctx.session.execute(update(SkuRow).where(SkuRow.id == shoes).values(weight_g=0))
    with unit(world["merchandiser"]) as ctx, pytest.raises(ValidationFailed) as caught:
        pricing.price_sku(ctx, shoes, "DE", "9610", TODAY)
    assert caught.value.errors[0].field == "sku.weight_g"
    assert "SHOE-1-42" in caught.value.errors[0].message


def test_a_future_duty_applies_from_its_date_and_an_overlap_is_refused(unit, world, shoes):
    import_fx(unit, world, "2026-11-27", RATES)
    hike = {
        "tariff_area": "US",
        "hs_prefix": "",
        "origin": "CN",
        "layer": "additional",
        "rate_bp": 1500,
        "program": "Section 122",
    }
    with unit(world["customs"]) as ctx:
        pricing.add_rule(
            ctx,
            kind="duty",
            data=hike,
            effective_from=date(2026, 12, 1),
            source="Presidential proclamation (example)",
        )
    with unit(world["customs"]) as ctx, pytest.raises(Conflict) as caught:
        pricing.add_rule(
            ctx,
            kind="duty",
            data=hike,
            effective_from=date(2027, 6, 1),
            source="a second one for the same scope",
        )
    assert caught.value.field == "effective_from"
    with unit(world["merchandiser"]) as ctx:
        before = pricing.price_sku(ctx, shoes, "US", "9610", TODAY).breakdown
        after = pricing.price_sku(ctx, shoes, "US", "9610", date(2026, 12, 1)).breakdown
    assert after.duty > before.duty and after.price > before.price


def test_the_price_book_prices_every_listed_market_and_keeps_history(unit, world, shoes):
    import_fx(unit, world, "2026-11-27", RATES)
    with unit(world["merchandiser"]) as ctx:
        first = pricing.rebuild_price_book(ctx, TODAY)
    with unit(world["merchandiser"]) as ctx:
        second = pricing.rebuild_price_book(ctx, TODAY)
        book = pricing.price_book(ctx, limit=50)
    assert (first.priced, first.refused) == (6, 0)  # DE, GB, US × 9610, 9810
    assert (second.priced, second.unchanged) == (0, 6)
    assert {(p.market_code, p.route) for p in book.items} == {
        (m, r) for m in ("DE", "GB", "US") for r in ("9610", "9810")
    }
    assert all(p.price >= p.landed_cost for p in book.items)


def test_a_jump_over_the_daily_limit_is_held_until_approved(unit, world, shoes):
    import_fx(unit, world, "2026-11-27", RATES)
    with unit(world["merchandiser"]) as ctx:
        pricing.rebuild_price_book(ctx, TODAY, [shoes])
    with unit() as ctx:  # the negotiated supply price doubles
        ctx.session.execute(
            update(SkuRow).where(SkuRow.id == shoes).values(supply_price_amount=12000)
        )
    with unit(world["merchandiser"]) as ctx:
        report = pricing.rebuild_price_book(ctx, TODAY, [shoes])
    assert report.held == 6
    with unit(world["merchandiser"]) as ctx:
        row = pricing.approve_held_price(ctx, shoes, "DE", "9610")
        history = pricing.price_history(ctx, shoes, "DE")
    assert row.status == "active" and row.price == row.breakdown["price"]
    assert [h.status for h in history if h.route == "9610"] == ["active", "held", "active"]


def test_a_price_below_landed_cost_is_refused(unit, world, shoes):
    import_fx(unit, world, "2026-11-27", RATES)
    with unit(world["merchandiser"]) as ctx:
        landed = pricing.price_sku(ctx, shoes, "DE", "9610", TODAY).breakdown.landed_cost
    with unit(world["merchandiser"]) as ctx, pytest.raises(Conflict) as caught:
        pricing.set_price(ctx, shoes, "DE", "9610", landed - 1)
    assert caught.value.field == "price"


def test_a_basket_under_150_eur_is_a_low_value_consignment(unit, world, shoes):
    import_fx(unit, world, "2026-11-27", RATES)
    with unit(world["merchandiser"]) as ctx:
        small = pricing.quote(ctx, "DE", [(shoes, 2)], on=TODAY)
    assert small.regime == "low value: VAT collected at checkout, flat duty per item"
    assert small.total == 2 * 3399 and small.due_on_delivery == 0
    assert small.vat == 2 * small.lines[0].unit.sales_vat


def test_a_basket_over_150_eur_pays_duty_and_import_vat_or_owes_them_on_delivery(
    unit, world, shoes
):
    import_fx(unit, world, "2026-11-27", RATES)
    with unit(world["merchandiser"]) as ctx:
        ddp = pricing.quote(ctx, "DE", [(shoes, 8)], terms="DDP", on=TODAY)
        dap = pricing.quote(ctx, "DE", [(shoes, 8)], terms="DAP", on=TODAY)
    assert ddp.regime == "delivered duty paid: duty and VAT collected at checkout"
    assert ddp.duty > 0 and ddp.vat > 0 and ddp.due_on_delivery == 0
    assert dap.duty == dap.vat == 0 and dap.due_on_delivery > 0
    assert dap.total < ddp.total


@pytest.mark.parametrize(
    ("items", "terms", "field"),
    [([], "DDP", "items"), ([("x", 0)], "DDP", "items[0].quantity"), ([("x", 1)], "CIF", "terms")],
    ids=["empty", "zero", "terms"],
)
def test_a_bad_quote_request_names_the_field(unit, world, items, terms, field):
    with unit(world["merchandiser"]) as ctx, pytest.raises(ValidationFailed) as caught:
        pricing.quote(ctx, "DE", items, terms=terms, on=TODAY)
    assert caught.value.errors[0].field == field


def test_a_sku_not_on_sale_in_the_market_cannot_be_quoted(unit, world, shoes):
    import_fx(unit, world, "2026-11-27", RATES)
    with unit(world["merchandiser"]) as ctx, pytest.raises(ValidationFailed) as caught:
        pricing.quote(ctx, "JP", [(shoes, 1)], on=TODAY)
    assert "not on sale in JP" in caught.value.detail
