"""Trend findings from hand-made signals: rising searches and categories that the catalog
serves with few or no listed products, or that are selling out; nothing for flat, small or
well-served demand; the same signals always give the same list."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from chuhai.core.errors import Forbidden, ValidationFailed
from chuhai.demand import service as demand
from chuhai.demand import signals
from chuhai.demand.signals import CategoryCount, SkuCount
from chuhai.demand.trends import Finding, find_trends, growth_of, keywords_of
from orders.shopping import Shop, build_shop

ON = date(2026, 6, 30)
RECENT = ON - timedelta(days=3)  # inside the 28 days to 30 June
PREVIOUS = ON - timedelta(days=40)  # inside the 28 days before those


@pytest.fixture
def shop(unit, world) -> Shop:
    return build_shop(unit, world)


def _searches(unit, market: str, query: str, previous: int, recent: int, category: str = ""):
    with unit() as ctx:
        signals.put_category_counts(
            ctx.session,
            [
                CategoryCount(PREVIOUS, market, category, "search", query, previous),
                CategoryCount(RECENT, market, category, "search", query, recent),
            ],
            "csv:test.csv",
            ctx.now(),
        )


def _orders(unit, market: str, sku_id: str, previous: int, recent: int):
    with unit() as ctx:
        signals.add_sku_counts(
            ctx.session,
            [
                SkuCount(PREVIOUS, market, sku_id, "order", previous),
                SkuCount(RECENT, market, sku_id, "order", recent),
            ],
            "orders",
            ctx.now(),
        )


def _sold_out(unit, sku_id: str, market: str):
    with unit() as ctx:
        ctx.session.add(
            signals.StockoutRow(
                id=f"sto_{sku_id}_{market}",
                sku_id=sku_id,
                market_code=market,
                started_at=datetime(2026, 6, 20, 12, tzinfo=UTC),
                ended_at=None,
                source="test",
            )
        )


def _trends(unit, **options) -> list[Finding]:
    with unit() as ctx:
        return find_trends(ctx.session, ON, 28, **options)


def test_a_rising_search_with_no_matching_product_is_a_finding(unit, shop):
    _searches(unit, "US", "linen shirt", previous=10, recent=45)

    assert _trends(unit) == [
        Finding(
            market="US",
            category="",
            keywords=("linen", "shirt"),
            growth=Decimal("4.50"),
            recent_units=45,
            listed_products=0,
            sold_out_skus=0,
            evidence="Searches for 'linen shirt' in US rose from 10 to 45 in the 28 days to "
            "2026-06-30 (x4.50); 0 matching products listed there.",
        )
    ]


def test_new_demand_grows_by_its_own_volume(unit, shop):
    _searches(unit, "DE", "padel racket", previous=0, recent=25, category="home.kitchen")
    (finding,) = _trends(unit)
    assert (finding.category, finding.growth, finding.recent_units) == (
        "home.kitchen",
        Decimal("25.00"),
        25,
    )


@pytest.mark.parametrize(
    ("previous", "recent"),
    [
        pytest.param(20, 29, id="growth-under-1.5"),
        pytest.param(2, 19, id="volume-under-20"),
        pytest.param(40, 10, id="falling"),
    ],
)
def test_flat_small_or_falling_searches_are_no_finding(unit, shop, previous, recent):
    _searches(unit, "US", "linen shirt", previous=previous, recent=recent)
    assert _trends(unit) == []


def test_a_search_the_catalog_serves_is_a_finding_only_once_it_sells_out(unit, shop):
    _searches(unit, "US", "Ceramic mug", previous=20, recent=60)
    assert _trends(unit, few_products=0) == []  # the mug is listed and in stock

    _sold_out(unit, shop.mug_white, "US")

    (finding,) = _trends(unit, few_products=0)
    assert (finding.keywords, finding.listed_products, finding.sold_out_skus) == (
        ("ceramic", "mug"),
        1,
        1,
    )
    assert finding.evidence.endswith("1 matching product listed there, 1 SKU sold out.")


def test_a_category_whose_orders_rise_with_few_products_listed_is_a_finding(unit, shop):
    _orders(unit, "DE", shop.mug_white, previous=8, recent=20)
    _orders(unit, "DE", shop.mug_black, previous=2, recent=10)
    _searches(unit, "DE", "mug", previous=1, recent=5, category="home.kitchen")
    _searches(unit, "DE", "teapot", previous=1, recent=9, category="home.kitchen")

    (finding,) = _trends(unit)

    assert finding == Finding(
        market="DE",
        category="home.kitchen",
        keywords=("teapot", "mug"),
        growth=Decimal("3.00"),
        recent_units=30,
        listed_products=1,
        sold_out_skus=0,
        evidence="Units ordered in home.kitchen in DE rose from 10 to 30 in the 28 days to "
        "2026-06-30 (x3.00); 1 product listed there.",
    )


def test_findings_come_in_the_same_order_every_time(unit, shop):
    _searches(unit, "US", "linen shirt", previous=10, recent=30)
    _searches(unit, "GB", "rain boots", previous=10, recent=50)
    _searches(unit, "DE", "rain boots", previous=10, recent=50)
    order = [(f.market, f.keywords, f.growth) for f in _trends(unit)]
    assert order == [
        ("DE", ("rain", "boots"), Decimal("5.00")),
        ("GB", ("rain", "boots"), Decimal("5.00")),
        ("US", ("linen", "shirt"), Decimal("3.00")),
    ]
    assert [(f.market, f.keywords, f.growth) for f in _trends(unit)] == order


def test_growth_and_keywords():
    assert growth_of(45, 10) == Decimal("4.50")
    assert growth_of(7, 0) == Decimal("7.00")
    assert growth_of(1, 3) == Decimal("0.33")
    assert keywords_of("  linen  shirt ") == ("linen", "shirt")


def test_trends_need_demand_read_and_a_sane_window(unit, world, shop):
    with unit(world["supplier_a"]) as ctx, pytest.raises(Forbidden):
        demand.trends(ctx, ON)
    with unit(world["merchandiser"]) as ctx:
        with pytest.raises(ValidationFailed) as caught:
            demand.trends(ctx, ON, window_days=0)
        assert caught.value.errors[0].field == "window_days"
        assert demand.trends(ctx, ON) == []
