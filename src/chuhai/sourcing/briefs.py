"""Design briefs: what demand asks for (markets, category, attributes and keywords, a retail
price band per market), the supply-price band that price implies (the landed-cost engine run
backwards, `supply_band.py`), and an estimated first-season volume with its interval.

A brief is written as a draft, edited, published for studios to see, and closed:

    draft → published → closed

Merchandisers write and publish; studios read published briefs only. A brief no verified
factory in its category can supply at its supply price says so on the brief (it is not
refused: the platform may still find one).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import select

from chuhai.catalog import service as catalog
from chuhai.core.context import Context
from chuhai.core.db import length_errors
from chuhai.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from chuhai.core.ids import new_id
from chuhai.core.money import Money, currency_exponent
from chuhai.core.pagination import Page, paginate
from chuhai.finance import service as finance
from chuhai.markets import service as markets
from chuhai.pricing import service as pricing
from chuhai.pricing.landed_cost import Inputs
from chuhai.sourcing import factories
from chuhai.sourcing.history import history_of, move, record
from chuhai.sourcing.model import BRIEF
from chuhai.sourcing.supply_band import max_supply_for, retail_price
from chuhai.sourcing.tables import DesignBriefRow, SourcingEventRow

DOCUMENT = "brief"
MAX_MARKETS = 12
MAX_KEYWORDS = 30


class TrendFinding(Protocol):
    """What demand's trend detection reports (`demand.trends.Finding`), read by shape;
    read-only, so frozen findings fit."""

    @property
    def market(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def keywords(self) -> tuple[str, ...]: ...
    @property
    def growth(self) -> Decimal: ...  # recent window / the one before: 1.5 = half again
    @property
    def recent_units(self) -> int: ...
    @property
    def listed_products(self) -> int: ...
    @property
    def sold_out_skus(self) -> int: ...
    @property
    def evidence(self) -> str: ...


@dataclass
class BriefDraft:
    title: str
    category_code: str
    markets: list[str]
    bands: dict[str, tuple[str, str]]  # market -> (retail low, retail high) in its currency
    volume: int
    volume_low: int
    volume_high: int
    keywords: list[str] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)
    weight_g: int = 500  # the reference unit the landed cost is computed for
    length_mm: int = 300
    width_mm: int = 200
    height_mm: int = 100
    evidence: str = ""
    volume_source: str = "entered"


@dataclass(frozen=True)
class _ReferenceUnit:
    """The fields of a SKU the pricing inputs read, for a product not yet designed."""

    supply_price_amount: int
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    origin_country: str = "CN"
    hs_code: str | None = None


@dataclass(frozen=True)
class _ReferenceProduct:
    category_code: str


# --- reading ---------------------------------------------------------------------------------


def visible_brief(ctx: Context, brief_id: str) -> DesignBriefRow:
    """A brief the actor may read: studios see published and closed briefs only."""
    ctx.actor.require("briefs.read")
    row = ctx.session.get(DesignBriefRow, brief_id)
    if row is None or (not ctx.actor.is_operator and row.state == "draft"):
        raise NotFound("no such design brief", field="brief_id")
    return row


def list_briefs(
    ctx: Context, state: str | None = None, limit: int = 50, offset: int = 0
) -> Page[DesignBriefRow]:
    ctx.actor.require("briefs.read")
    query = select(DesignBriefRow).order_by(DesignBriefRow.created_at.desc(), DesignBriefRow.id)
    if not ctx.actor.is_operator:
        query = query.where(DesignBriefRow.state == "published")
    if state:
        query = query.where(DesignBriefRow.state == state)
    return paginate(ctx.session, query, limit, offset)


def brief_history(ctx: Context, brief_id: str) -> list[SourcingEventRow]:
    return history_of(ctx.session, visible_brief(ctx, brief_id).id)


# --- writing ---------------------------------------------------------------------------------


def create_brief(ctx: Context, draft: BriefDraft) -> DesignBriefRow:
    ctx.actor.require("briefs.manage")
    now = ctx.now()
    row = DesignBriefRow(
        id=new_id("brf"),
        state="draft",
        created_by=ctx.actor.user_id,
        created_at=now,
        updated_at=now,
        published_at=None,
    )
    _apply(ctx, row, draft)
    ctx.session.add(row)
    record(ctx, DOCUMENT, row.id, "create", None, "draft", draft.evidence)
    ctx.session.flush()
    return row


def update_brief(ctx: Context, brief_id: str, draft: BriefDraft) -> DesignBriefRow:
    row = visible_brief(ctx, brief_id)
    ctx.actor.require("briefs.manage")
    if row.state != "draft":
        raise Conflict(
            f"a {row.state} brief cannot be edited; only drafts can",
            current_state=row.state,
            field="state",
        )
    _apply(ctx, row, draft)
    row.updated_at = ctx.now()
    record(ctx, DOCUMENT, row.id, "edit", "draft", "draft")
    ctx.session.flush()
    return row


def publish(ctx: Context, brief_id: str) -> DesignBriefRow:
    row = visible_brief(ctx, brief_id)
    move(ctx, BRIEF, DOCUMENT, row, "publish")
    row.published_at = ctx.now()
    return row


def close(ctx: Context, brief_id: str, reason: str = "") -> DesignBriefRow:
    row = visible_brief(ctx, brief_id)
    move(ctx, BRIEF, DOCUMENT, row, "close", reason)
    return row


def _apply(ctx: Context, row: DesignBriefRow, draft: BriefDraft) -> None:
    """Check the draft, price its bands backwards and write it onto the row; nothing is
    written when anything is wrong."""
    _check(ctx, draft)
    bands = {code: _band(ctx, draft, code) for code in draft.markets}
    row.title = draft.title.strip()
    row.category_code = draft.category_code
    row.markets = list(draft.markets)
    row.keywords = [k.strip() for k in draft.keywords if k.strip()]
    row.attributes = dict(draft.attributes)
    row.price_bands = bands
    # a supply price at or under the lowest high end sells within the band in every market
    row.supply_high = min(b["supply_high"] for b in bands.values())
    row.supply_low = min(min(b["supply_low"] for b in bands.values()), row.supply_high)
    row.weight_g, row.length_mm = draft.weight_g, draft.length_mm
    row.width_mm, row.height_mm = draft.width_mm, draft.height_mm
    row.volume, row.volume_low, row.volume_high = draft.volume, draft.volume_low, draft.volume_high
    row.volume_source = draft.volume_source
    row.evidence = draft.evidence.strip()
    row.factory_note = factory_note(
        ctx, draft.category_code, row.supply_high, ctx.settings.first_run_min
    )


def _check(ctx: Context, draft: BriefDraft) -> None:
    errors = length_errors(DesignBriefRow, {"title": draft.title})
    if not draft.title.strip():
        errors.append(FieldError("title", "is required"))
    if draft.category_code not in catalog.category_codes(ctx.session):
        errors.append(FieldError("category_code", f"unknown category {draft.category_code!r}"))
    if not draft.markets:
        errors.append(FieldError("markets", "name at least one market"))
    elif len(draft.markets) > MAX_MARKETS or len(set(draft.markets)) != len(draft.markets):
        errors.append(FieldError("markets", f"at most {MAX_MARKETS} markets, each once"))
    known = markets.active_market_codes(ctx.session)
    errors += [
        FieldError("markets", f"unknown market {c!r}") for c in draft.markets if c not in known
    ]
    if len(draft.keywords) > MAX_KEYWORDS:
        errors.append(FieldError("keywords", f"at most {MAX_KEYWORDS}"))
    for name in ("weight_g", "length_mm", "width_mm", "height_mm"):
        value = getattr(draft, name)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1_000_000:
            errors.append(FieldError(name, "a whole number from 1 to 1000000"))
    errors += _volume_errors(draft)
    if errors:
        raise ValidationFailed(errors)


def _volume_errors(draft: BriefDraft) -> list[FieldError]:
    values = (draft.volume_low, draft.volume, draft.volume_high)
    if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in values):
        return [FieldError("volume", "volume and its interval are whole numbers, not negative")]
    if not draft.volume_low <= draft.volume <= draft.volume_high:
        return [
            FieldError(
                "volume", "the estimate must lie within its interval (low ≤ estimate ≤ high)"
            )
        ]
    return []


def _band(ctx: Context, draft: BriefDraft, code: str) -> dict[str, Any]:
    """One market's retail band and the supply band it implies."""
    field_name = f"price_bands.{code}"
    low_text, high_text = draft.bands.get(code, ("", ""))
    if not str(low_text).strip() or not str(high_text).strip():
        raise ValidationFailed.one(field_name, "give the retail price band (low and high)")
    market = markets.get_market(ctx, code)
    low = Money.parse(low_text, market.currency, f"{field_name}.low").amount_minor
    high = Money.parse(high_text, market.currency, f"{field_name}.high").amount_minor
    if low <= 0:
        raise ValidationFailed.one(f"{field_name}.low", "must be greater than zero")
    if low >= high:
        raise ValidationFailed.one(
            field_name,
            f"the band is inverted or empty: low {Money(low, market.currency)} is not below "
            f"high {Money(high, market.currency)}",
        )
    inputs = unit_inputs(ctx, code, draft)
    supply_high = max_supply_for(inputs, high)
    if supply_high is None:
        floor = Money(retail_price(inputs, 0), market.currency)
        raise ValidationFailed.one(
            f"{field_name}.high",
            f"even a free unit lands at {floor} in {code} (freight, duty, fees, margin): "
            "raise the band",
        )
    return {
        "currency": market.currency,
        "route": inputs.route,
        "retail_low": low,
        "retail_high": high,
        "supply_low": max_supply_for(inputs, low) or 0,
        "supply_high": supply_high,
    }


def unit_inputs(
    ctx: Context, market_code: str, draft: BriefDraft, on: date | None = None
) -> Inputs:
    """The landed-cost inputs for the brief's reference unit in one market, with the rules,
    policy and FX rate of the day; the route the market is sold by first (9610 abroad,
    domestic delivery in China)."""
    market = markets.get_market(ctx, market_code)
    on = on or ctx.now().date()
    route = pricing.routes_for(market.code, market.customs)[0]
    rate = (
        Decimal(1)
        if market.currency == "CNY"
        else finance.rate_on(ctx, "CNY", market.currency, on).rate
    )
    unit = _ReferenceUnit(0, draft.weight_g, draft.length_mm, draft.width_mm, draft.height_mm)
    try:
        inputs, _ = pricing.landed_cost_inputs(
            pricing.rule_book(ctx.session, on),
            unit,
            _ReferenceProduct(draft.category_code),
            market,
            route,
            pricing.market_pricing(ctx.session, market.code),
            rate,
            currency_exponent(market.currency),
        )
    except LookupError as missing_rule:  # pricing.rules.RuleMissing
        raise Conflict(str(missing_rule), field="rules") from None
    return inputs


def factory_note(ctx: Context, category_code: str, supply_high: int, first_run: int) -> str:
    """Empty when some verified factory in the category declares a supply price at or under
    the band's top and can make a first run within its lead time; otherwise the sentence the
    brief shows."""
    found = factories.profiles(ctx, category_code)
    ceiling = f"¥{Money(supply_high, 'CNY').to_decimal()}"
    if not found:
        return f"no verified factory supplies category {category_code} yet"
    cheapest = min(found, key=lambda p: p.lowest_supply)
    if cheapest.lowest_supply > supply_high:
        return (
            f"no factory in category {category_code} supplies below {ceiling}: the lowest "
            f"declared supply price is ¥{Money(cheapest.lowest_supply, 'CNY').to_decimal()}"
            f" ({cheapest.code})"
        )
    in_price = [p for p in found if p.lowest_supply <= supply_high]
    largest = max(in_price, key=lambda p: p.run_capacity)
    if largest.run_capacity < first_run:
        return (
            f"no factory in category {category_code} supplying below {ceiling} can make a "
            f"first run of {first_run} units: the largest declares {largest.run_capacity} "
            f"({largest.code}: {largest.daily_capacity} a day, {largest.lead_time_days} days)"
        )
    return ""


# --- from demand ------------------------------------------------------------------------------


def draft_from_finding(
    ctx: Context,
    finding: TrendFinding,
    band: tuple[str, str] | None = None,
    category: str | None = None,
) -> DesignBriefRow:
    """A draft brief for a trend finding. `growth` is the finding's ratio of its recent
    window to the one before (1.5: half as much again). The first-season volume is the
    recent units grown once more at that ratio; its interval runs from no further growth
    (the recent units) to growth going on for two windows. Without a band given, the band is
    what the category's current supply prices (lower and upper quartile) retail at in the
    market. A search finding may name no category (nothing listed matched it): give one."""
    ctx.actor.require("briefs.manage")
    category_code = (category or finding.category).strip()
    if not category_code:
        raise ValidationFailed.one(
            "category", "the finding names no category (no listed product matched it): give one"
        )
    growth = max(Decimal(finding.growth), Decimal(1))  # a finding is a rise: ratio >= 1
    recent = max(int(finding.recent_units), 0)
    draft = BriefDraft(
        title=f"{category_code} for {finding.market}: " + ", ".join(finding.keywords[:3]),
        category_code=category_code,
        markets=[finding.market],
        bands={},
        volume=math.ceil(recent * growth),
        volume_low=recent,
        volume_high=math.ceil(recent * growth * growth),
        keywords=list(finding.keywords),
        evidence=(
            f"{finding.evidence} ({finding.listed_products} products listed, "
            f"{finding.sold_out_skus} SKUs sold out)"
        ),
        volume_source="finding",
    )
    draft.title = draft.title[:200]
    draft.bands[finding.market] = band or _suggested_band(ctx, draft, finding.market)
    return create_brief(ctx, draft)


def _suggested_band(ctx: Context, draft: BriefDraft, market_code: str) -> tuple[str, str]:
    prices = sorted(p.lowest_supply for p in factories.profiles(ctx, draft.category_code))
    if not prices:
        raise ValidationFailed.one(
            "price_bands",
            f"no product in category {draft.category_code} to suggest a price band from; give one",
        )
    inputs = unit_inputs(ctx, market_code, draft)
    low = retail_price(inputs, prices[len(prices) // 4])
    high = retail_price(inputs, prices[(3 * len(prices)) // 4])
    if high <= low:
        high = low + 10 ** currency_exponent(markets.get_market(ctx, market_code).currency)
    currency = markets.get_market(ctx, market_code).currency
    return str(Money(low, currency).to_decimal()), str(Money(high, currency).to_decimal())
