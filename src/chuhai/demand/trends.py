"""Trend findings: demand rising in a market that the catalog serves badly.

Two windows of `window_days` each end on `on` (inclusive): the recent one, and the one
before it. A finding is made for
- a search query whose searches in a market grew by at least `min_growth` and reached
  `min_volume`, with at most `few_products` listed products matching all its words (title
  or brand, either language), or with matching SKUs sold out in the recent window;
- a category whose units ordered in a market grew likewise, with at most `few_products`
  listed products in the category there, or with some of its SKUs sold out.

growth = recent / previous, with a previous count of 0 taken as 1 (new demand shows as
its own volume). Findings are ordered by growth, then volume, then market, category and
keywords, so the same signals always give the same list.

The catalog is read directly, read-only (what is listed where, and in which category), as
the storefront does: the catalog service has no platform-wide listing read yet.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chuhai.catalog.tables import ProductMarketRow, ProductRow, SkuRow
from chuhai.demand.signals import ORDER, SEARCH, stockouts_between
from chuhai.demand.tables import CategorySignalRow, SkuSignalRow

MIN_GROWTH = Decimal("1.5")
MIN_VOLUME = 20
FEW_PRODUCTS = 2
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Finding:
    market: str
    category: str  # "" when the searches name no category
    keywords: tuple[str, ...]
    growth: Decimal  # recent window / previous window
    recent_units: int  # searches, or units ordered, in the recent window
    listed_products: int  # matching products listed in the market
    sold_out_skus: int  # matching SKUs out of stock there at some point in the recent window
    evidence: str


@dataclass(frozen=True)
class _Window:
    recent_from: date
    previous_from: date
    on: date


@dataclass(frozen=True)
class _Listed:
    product_id: str
    category: str
    words: str  # title and brand, both languages, lower case


def find_trends(
    session: Session,
    on: date,
    window_days: int = 28,
    *,
    min_growth: Decimal = MIN_GROWTH,
    min_volume: int = MIN_VOLUME,
    few_products: int = FEW_PRODUCTS,
) -> list[Finding]:
    """Rising searches and categories with few or no matching listed products, or selling out."""
    window = _Window(
        recent_from=on - timedelta(days=window_days - 1),
        previous_from=on - timedelta(days=2 * window_days - 1),
        on=on,
    )
    listed = _listed_products(session)
    skus = _skus_by_product(session)
    sold_out = _sold_out(session, window)
    findings = _search_findings(session, window, listed, skus, sold_out)
    findings += _category_findings(session, window, listed, skus, sold_out)
    kept = [
        f
        for f in findings
        if f.growth >= min_growth
        and f.recent_units >= min_volume
        and (f.listed_products <= few_products or f.sold_out_skus > 0)
    ]
    return sorted(
        kept, key=lambda f: (-f.growth, -f.recent_units, f.market, f.category, f.keywords)
    )


def growth_of(recent: int, previous: int) -> Decimal:
    return (Decimal(recent) / Decimal(max(previous, 1))).quantize(CENT)


def keywords_of(query: str) -> tuple[str, ...]:
    return tuple(word for word in re.split(r"\s+", query.lower()) if word)


# --- searches ---------------------------------------------------------------------------------


def _search_findings(
    session: Session,
    window: _Window,
    listed: dict[str, list[_Listed]],
    skus: dict[str, list[str]],
    sold_out: dict[str, set[str]],
) -> list[Finding]:
    recent: dict[tuple[str, str], int] = defaultdict(int)
    previous: dict[tuple[str, str], int] = defaultdict(int)
    categories: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    query = (
        select(
            CategorySignalRow.market_code,
            CategorySignalRow.query,
            CategorySignalRow.category_code,
            CategorySignalRow.day,
            func.sum(CategorySignalRow.count),
        )
        .where(CategorySignalRow.kind == SEARCH)
        .where(CategorySignalRow.day.between(window.previous_from, window.on))
        .group_by(
            CategorySignalRow.market_code,
            CategorySignalRow.query,
            CategorySignalRow.category_code,
            CategorySignalRow.day,
        )
    )
    for market, text, category, day, total in session.execute(query):
        key = (market, text)
        (recent if day >= window.recent_from else previous)[key] += int(total or 0)
        if category:
            categories[key][category] += int(total or 0)
    findings = []
    for (market, text), units in recent.items():
        chosen = categories.get((market, text), {})
        category = min(chosen, key=lambda c: (-chosen[c], c)) if chosen else ""
        words = keywords_of(text)
        matching = [
            p
            for p in listed.get(market, [])
            if (not category or p.category == category) and all(w in p.words for w in words)
        ]
        gone = _sold_out_count(matching, skus, sold_out.get(market, set()))
        growth = growth_of(units, previous.get((market, text), 0))
        where = f" in {category}" if category else ""
        evidence = (
            f"Searches for {text!r}{where} in {market} rose from "
            f"{previous.get((market, text), 0)} to {units} in the {_days(window)} days to "
            f"{window.on} (x{growth}); {_count(len(matching), 'matching product')} listed there"
            f"{_sold_out_text(gone)}."
        )
        findings.append(
            Finding(market, category, words, growth, units, len(matching), gone, evidence)
        )
    return findings


# --- categories -------------------------------------------------------------------------------


def _category_findings(
    session: Session,
    window: _Window,
    listed: dict[str, list[_Listed]],
    skus: dict[str, list[str]],
    sold_out: dict[str, set[str]],
) -> list[Finding]:
    recent: dict[tuple[str, str], int] = defaultdict(int)
    previous: dict[tuple[str, str], int] = defaultdict(int)
    for market, category, is_recent, units in _category_units(session, window):
        (recent if is_recent else previous)[(market, category)] += units
    top_queries = _top_queries(session, window)
    findings = []
    for (market, category), units in recent.items():
        in_category = [p for p in listed.get(market, []) if p.category == category]
        gone = _sold_out_count(in_category, skus, sold_out.get(market, set()))
        before = previous.get((market, category), 0)
        growth = growth_of(units, before)
        evidence = (
            f"Units ordered in {category} in {market} rose from {before} to {units} in the "
            f"{_days(window)} days to {window.on} (x{growth}); "
            f"{_count(len(in_category), 'product')} listed there{_sold_out_text(gone)}."
        )
        keywords = top_queries.get((market, category), ())
        findings.append(
            Finding(market, category, keywords, growth, units, len(in_category), gone, evidence)
        )
    return findings


def _category_units(session: Session, window: _Window) -> Iterable[tuple[str, str, bool, int]]:
    """(market, category, in the recent window, units ordered): SKU orders rolled up to their
    product's category, and category-level order counts from imported files."""
    by_sku = (
        select(
            SkuSignalRow.market_code,
            ProductRow.category_code,
            SkuSignalRow.day,
            func.sum(SkuSignalRow.count),
        )
        .join(SkuRow, SkuRow.id == SkuSignalRow.sku_id)
        .join(ProductRow, ProductRow.id == SkuRow.product_id)
        .where(SkuSignalRow.kind == ORDER)
        .where(SkuSignalRow.day.between(window.previous_from, window.on))
        .group_by(SkuSignalRow.market_code, ProductRow.category_code, SkuSignalRow.day)
    )
    by_category = (
        select(
            CategorySignalRow.market_code,
            CategorySignalRow.category_code,
            CategorySignalRow.day,
            func.sum(CategorySignalRow.count),
        )
        .where(CategorySignalRow.kind == ORDER, CategorySignalRow.category_code != "")
        .where(CategorySignalRow.day.between(window.previous_from, window.on))
        .group_by(
            CategorySignalRow.market_code, CategorySignalRow.category_code, CategorySignalRow.day
        )
    )
    for statement in (by_sku, by_category):
        for market, category, day, units in session.execute(statement):
            yield market, category, day >= window.recent_from, int(units or 0)


def _top_queries(session: Session, window: _Window) -> dict[tuple[str, str], tuple[str, ...]]:
    """The three most searched queries per market and category in the recent window."""
    query = (
        select(
            CategorySignalRow.market_code,
            CategorySignalRow.category_code,
            CategorySignalRow.query,
            func.sum(CategorySignalRow.count),
        )
        .where(CategorySignalRow.kind == SEARCH, CategorySignalRow.category_code != "")
        .where(CategorySignalRow.day.between(window.recent_from, window.on))
        .group_by(
            CategorySignalRow.market_code, CategorySignalRow.category_code, CategorySignalRow.query
        )
    )
    ranked: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for market, category, text, total in session.execute(query):
        ranked[(market, category)].append((-int(total or 0), text))
    return {key: tuple(text for _, text in sorted(items)[:3]) for key, items in ranked.items()}


# --- the catalog and stock --------------------------------------------------------------------


def _listed_products(session: Session) -> dict[str, list[_Listed]]:
    """market -> the products listed there."""
    query = (
        select(
            ProductMarketRow.market_code,
            ProductRow.id,
            ProductRow.category_code,
            ProductRow.title_en,
            ProductRow.title_zh,
            ProductRow.brand,
        )
        .join(ProductRow, ProductRow.id == ProductMarketRow.product_id)
        .where(ProductMarketRow.status == "listed")
        .order_by(ProductMarketRow.market_code, ProductRow.id)
    )
    found: dict[str, list[_Listed]] = defaultdict(list)
    for market, product_id, category, title_en, title_zh, brand in session.execute(query):
        words = " ".join((title_en or "", title_zh or "", brand or "")).lower()
        found[market].append(_Listed(product_id, category, words))
    return found


def _skus_by_product(session: Session) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for sku_id, product_id in session.execute(select(SkuRow.id, SkuRow.product_id)):
        found[product_id].append(sku_id)
    return found


def _sold_out(session: Session, window: _Window) -> dict[str, set[str]]:
    """market -> SKUs out of stock there at some moment of the recent window."""
    found: dict[str, set[str]] = defaultdict(set)
    for row in stockouts_between(session, window.recent_from, window.on):
        found[row.market_code].add(row.sku_id)
    return found


def _sold_out_count(products: list[_Listed], skus: dict[str, list[str]], gone: set[str]) -> int:
    return sum(1 for p in products for sku in skus.get(p.product_id, []) if sku in gone)


def _sold_out_text(gone: int) -> str:
    return f", {_count(gone, 'SKU')} sold out" if gone else ""


def _days(window: _Window) -> int:
    return (window.on - window.recent_from).days + 1


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
