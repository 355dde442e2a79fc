"""Design briefs: the supply band a retail band implies, the factory note, the draft →
published → closed life, studios' view, and drafts from trend findings."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chuhai.catalog import service as catalog
from chuhai.core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from chuhai.sourcing import briefs
from chuhai.sourcing.supply_band import retail_price

from sourcing_world import (
    CATEGORY,
    Finding,
    brief_draft,
    factory_skus,
    published_brief,
    rates_for_today,
    studios,
)


@pytest.fixture
def ready(unit, world):
    rates_for_today(unit, world)
    factory_skus(unit, world, "supplier_a", "MUG-A", "12.00")
    factory_skus(unit, world, "supplier_b", "MUG-B", "16.00")


def test_each_market_s_band_implies_the_highest_supply_price_its_retail_price_allows(
    unit, world, ready
):
    with unit(world["merchandiser"]) as ctx:
        brief = briefs.create_brief(ctx, brief_draft())
        for code, (low, high) in (("US", (1999, 3999)), ("DE", (1799, 3499))):
            band = brief.price_bands[code]
            inputs = briefs.unit_inputs(ctx, code, brief_draft())
            assert (band["retail_low"], band["retail_high"]) == (low, high)
            for end, retail in (("supply_low", low), ("supply_high", high)):
                supply = band[end]
                assert retail_price(inputs, supply) <= retail < retail_price(inputs, supply + 1)
        # a supply price at or under the lower of the two tops sells in both markets
        assert brief.supply_high == min(b["supply_high"] for b in brief.price_bands.values())
        assert brief.factory_note == ""
        assert brief.state == "draft"


@pytest.mark.parametrize(
    ("bands", "field", "words"),
    [
        ({"US": ("39.99", "19.99"), "DE": ("17.99", "34.99")}, "price_bands.US", "inverted"),
        (
            {"US": ("19.99", "19.99"), "DE": ("17.99", "34.99")},
            "price_bands.US",
            "inverted or empty",
        ),
        ({"US": ("", "39.99"), "DE": ("17.99", "34.99")}, "price_bands.US", "low and high"),
        ({"DE": ("17.99", "34.99")}, "price_bands.US", "low and high"),
        ({"US": ("19.999", "39.99"), "DE": ("17.99", "34.99")}, "price_bands.US.low", "decimal"),
        ({"US": ("0.50", "0.99"), "DE": ("17.99", "34.99")}, "price_bands.US.high", "free unit"),
    ],
    ids=["inverted", "empty", "missing-low", "missing-market", "too-many-decimals", "unreachable"],
)
def test_a_bad_price_band_is_refused_naming_the_market(unit, world, ready, bands, field, words):
    with pytest.raises(ValidationFailed) as refused, unit(world["merchandiser"]) as ctx:
        briefs.create_brief(ctx, brief_draft(bands=bands))
    assert refused.value.field == field
    assert words in refused.value.detail
    with unit(world["merchandiser"]) as ctx:
        assert briefs.list_briefs(ctx).total == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": " "}, "title"),
        ({"category_code": "nope"}, "category_code"),
        ({"markets": []}, "markets"),
        ({"markets": ["US", "XX"], "bands": {"US": ("19.99", "39.99")}}, "markets"),
        ({"volume": 2000}, "volume"),
        ({"volume_low": -1}, "volume"),
        ({"weight_g": 0}, "weight_g"),
    ],
    ids=[
        "no-title",
        "unknown-category",
        "no-market",
        "unknown-market",
        "outside-interval",
        "negative",
        "no-weight",
    ],
)
def test_a_brief_with_bad_fields_is_refused(unit, world, ready, changes, field):
    with pytest.raises(ValidationFailed) as refused, unit(world["merchandiser"]) as ctx:
        briefs.create_brief(ctx, brief_draft(**changes))
    assert refused.value.field == field


def test_a_band_no_factory_can_meet_is_said_on_the_brief_not_refused(unit, world, ready):
    with unit(world["merchandiser"]) as ctx:
        brief = briefs.create_brief(
            ctx, brief_draft(markets=["US"], bands={"US": ("12.49", "12.99")})
        )
        assert brief.supply_high < 1200
        yuan = f"{Decimal(brief.supply_high) / 100:.2f}"
        assert brief.factory_note == (
            f"no factory in category {CATEGORY} supplies below ¥{yuan}: "
            "the lowest declared supply price is ¥12.00 (SUP-A)"
        )


def test_a_category_without_factories_says_so(unit, world):
    rates_for_today(unit, world)
    with unit(world["merchandiser"]) as ctx:
        brief = briefs.create_brief(ctx, brief_draft())
    assert brief.factory_note == f"no verified factory supplies category {CATEGORY} yet"


def test_a_brief_is_edited_as_a_draft_then_published_then_closed_with_history(unit, world, ready):
    with unit(world["merchandiser"]) as ctx:
        brief = briefs.create_brief(ctx, brief_draft())
        briefs.update_brief(ctx, brief.id, brief_draft(title="Nesting mugs"))
        briefs.publish(ctx, brief.id)
        with pytest.raises(Conflict) as frozen:
            briefs.update_brief(ctx, brief.id, brief_draft(title="Too late"))
        assert frozen.value.extra["current_state"] == "published"
        with pytest.raises(InvalidTransition) as twice:
            briefs.publish(ctx, brief.id)
        assert "published" in twice.value.detail
        briefs.close(ctx, brief.id, "enough designs")
        history = briefs.brief_history(ctx, brief.id)
    assert [(h.action, h.to_state) for h in history] == [
        ("create", "draft"),
        ("edit", "draft"),
        ("publish", "published"),
        ("close", "closed"),
    ]
    assert history[-1].reason == "enough designs"


def test_studios_read_published_briefs_only_and_cannot_write(unit, world, ready):
    crew = studios(unit, world)
    published = published_brief(unit, world)
    with unit(world["merchandiser"]) as ctx:
        draft = briefs.create_brief(ctx, brief_draft(title="Secret"))
    with unit(crew.studio_a) as ctx:
        assert [b.id for b in briefs.list_briefs(ctx).items] == [published]
        assert briefs.visible_brief(ctx, published).state == "published"
        with pytest.raises(NotFound):
            briefs.visible_brief(ctx, draft.id)
        with pytest.raises(Exception, match="briefs.manage"):
            briefs.create_brief(ctx, brief_draft())
    with pytest.raises(Exception, match="briefs.read"), unit(world["supplier_a"]) as ctx:
        briefs.list_briefs(ctx)


def test_a_trend_finding_becomes_a_draft_brief_with_a_volume_interval(unit, world, ready):
    finding = Finding(
        market="US",
        category=CATEGORY,
        keywords=("stackable mug", "nesting cups"),
        growth=Decimal("1.5"),
        recent_units=400,
        listed_products=1,
        sold_out_skus=2,
        evidence="searches for 'stackable mug' up 50% in 4 weeks",
    )
    with unit(world["merchandiser"]) as ctx:
        brief = briefs.draft_from_finding(ctx, finding)
    assert (brief.volume_low, brief.volume, brief.volume_high) == (400, 600, 900)
    assert brief.volume_source == "finding"
    assert brief.keywords == ["stackable mug", "nesting cups"]
    assert brief.markets == ["US"] and brief.state == "draft"
    assert "1 products listed, 2 SKUs sold out" in brief.evidence
    band = brief.price_bands["US"]
    # suggested from the category's supply prices: ¥12 and ¥16 retail at its ends
    assert band["retail_low"] < band["retail_high"]
    assert band["supply_low"] >= 1200 and band["supply_high"] >= 1600


def test_a_finding_in_a_category_without_products_needs_a_band_given(unit, world):
    rates_for_today(unit, world)
    finding = Finding("US", CATEGORY, ("mug",), Decimal("1.2"), 100, 0, 0, "new searches")
    with pytest.raises(ValidationFailed) as refused, unit(world["merchandiser"]) as ctx:
        briefs.draft_from_finding(ctx, finding)
    assert refused.value.field == "price_bands"
    with unit(world["merchandiser"]) as ctx:
        brief = briefs.draft_from_finding(ctx, finding, ("19.99", "29.99"))
    assert brief.price_bands["US"]["retail_high"] == 2999
    assert brief.factory_note == f"no verified factory supplies category {CATEGORY} yet"


def test_a_finding_without_a_category_needs_one_given(unit, world, ready):
    finding = Finding("US", "", ("stackable mug",), Decimal("2"), 50, 0, 0, "new searches")
    with pytest.raises(ValidationFailed) as refused, unit(world["merchandiser"]) as ctx:
        briefs.draft_from_finding(ctx, finding)
    assert refused.value.field == "category"
    with unit(world["merchandiser"]) as ctx:
        brief = briefs.draft_from_finding(ctx, finding, ("19.99", "29.99"), category=CATEGORY)
    assert brief.category_code == CATEGORY and brief.volume == 100


def test_a_band_only_factories_too_small_for_a_first_run_can_meet_is_said_on_the_brief(unit, world):
    from helpers import draft, sku

    rates_for_today(unit, world)
    with unit(world["supplier_a"]) as ctx:
        small = sku("TINY-1", "12.00", moq=10, daily_capacity=9, lead_time_days=10)
        catalog.create_product(ctx, draft("TINY", skus=[small]))
    with unit(world["merchandiser"]) as ctx:
        brief = briefs.create_brief(ctx, brief_draft())
    assert brief.factory_note.endswith(
        "can make a first run of 100 units: the largest declares 90 (SUP-A: 9 a day, 10 days)"
    )
