"""Builders for sourcing tests: today's FX rates, a studio (two, for tenancy) with a user
each, factories with SKUs in the kitchen category, a brief, a design, an accepted design."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from chuhai.catalog import service as catalog
from chuhai.core.auth import SYSTEM, Actor
from chuhai.parties import service as parties
from chuhai.sourcing import briefs, designs
from chuhai.sourcing.model import parse_terms

from helpers import draft, import_fx, sku

RATES = {"EUR": "0.1300", "GBP": "0.1100", "USD": "0.1400", "AUD": "0.2150", "JPY": "21.00"}
CATEGORY = "home.kitchen"


@dataclass
class Studios:
    studio_a: Actor
    studio_b: Actor
    studio_a_id: str
    studio_b_id: str


def rates_for_today(unit: Any, world: Any) -> None:
    today = date.today()
    for day in (today - timedelta(days=1), today):
        import_fx(unit, world, day.isoformat(), RATES)


def studios(unit: Any, world: Any) -> Studios:
    found: dict[str, Any] = {}
    with unit(world["merchandiser"]) as ctx:
        for name in ("a", "b"):
            studio = parties.create_studio(ctx, code=f"STD-{name.upper()}", name=f"Studio {name}")
            found[f"studio_{name}_id"] = studio.id
    with unit(SYSTEM) as ctx:
        for name in ("a", "b"):
            user = parties.create_user(
                ctx,
                username=f"studio-{name}",
                password="correct-horse-battery",
                roles=["studio"],
                studio_code=f"STD-{name.upper()}",
            )
            found[f"studio_{name}"] = parties.actor_for(user)
    return Studios(**found)


def factory_skus(unit: Any, world: Any, who: str, ref: str, price: str, moq: int = 100) -> str:
    """A kitchen product of that supplier: what makes it a factory of the category."""
    with unit(world[who]) as ctx:
        product = catalog.create_product(
            ctx, draft(ref, skus=[sku(f"{ref}-1", price, moq=moq, daily_capacity=50)])
        )
        return product.id


def brief_draft(**changes: Any) -> briefs.BriefDraft:
    values: dict[str, Any] = dict(
        title="Stackable stoneware mugs",
        category_code=CATEGORY,
        markets=["US", "DE"],
        bands={"US": ("19.99", "39.99"), "DE": ("17.99", "34.99")},
        volume=1200,
        volume_low=800,
        volume_high=1600,
        keywords=["stackable mug", "stoneware"],
        attributes={"capacity_ml": "350"},
        weight_g=400,
        length_mm=120,
        width_mm=90,
        height_mm=100,
    )
    values.update(changes)
    return briefs.BriefDraft(**values)


def published_brief(unit: Any, world: Any, **changes: Any) -> str:
    with unit(world["merchandiser"]) as ctx:
        brief = briefs.create_brief(ctx, brief_draft(**changes))
        briefs.publish(ctx, brief.id)
        return brief.id


def design_draft(**changes: Any) -> designs.DesignDraft:
    values: dict[str, Any] = dict(
        title="Nesting mug, matte glaze",
        specification="350 ml stoneware, nests four high; matte glaze outside, gloss inside.",
        bom=[
            {"material": "stoneware clay", "quantity": "0.45", "unit": "kg", "unit_cost": "6.00"},
            {"material": "glaze", "quantity": "0.05", "unit": "kg", "unit_cost": "40.00"},
        ],
        target_cost="14.00",
    )
    values.update(changes)
    return designs.DesignDraft(**values)


def accepted_design(unit: Any, world: Any, studio: Actor, factories: list[str]) -> Any:
    brief_id = published_brief(unit, world)
    with unit(studio) as ctx:
        design = designs.submit(ctx, brief_id, design_draft())
    with unit(world["merchandiser"]) as ctx:
        return designs.accept(
            ctx, design.id, parse_terms("royalty", royalty_percent="3.5"), factories
        )


@dataclass(frozen=True)
class Finding:
    """A trend finding as demand reports it (sourcing reads it by shape)."""

    market: str
    category: str
    keywords: tuple[str, ...]
    growth: Decimal
    recent_units: int
    listed_products: int
    sold_out_skus: int
    evidence: str


def take_to_listed(unit: Any, world: Any, who: str, product_id: str, markets: list[str]) -> None:
    """The normal listing workflow for a product made from a design, to listed."""
    from chuhai.catalog import listing

    from helpers import png_bytes

    with unit(world[who]) as ctx:
        catalog.add_image(ctx, product_id, png_bytes(), "design.png")
        listing.submit(ctx, product_id)
    with unit(world["compliance"]) as ctx:
        listing.start_compliance_review(ctx, product_id)
        listing.pass_compliance(ctx, product_id)
        listing.pass_ip(ctx, product_id, "original design")
    with unit(world["merchandiser"]) as ctx:
        listing.accept_offer(ctx, product_id)
    with unit(world["logistics"]) as ctx:
        listing.receive_sample(ctx, product_id)
        listing.record_check(ctx, product_id, name="finish", passed=True)
        listing.pass_qc(ctx, product_id)
    with unit(world["merchandiser"]) as ctx:
        listing.list_in_markets(ctx, product_id, markets)
