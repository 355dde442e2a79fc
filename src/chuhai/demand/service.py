"""Use cases of demand signals and trends: what merchandisers read and import.

Reading needs demand.read, importing demand.manage. An import writes every signal of the
file or, when any row is bad, nothing; its source is "csv:<file name>", so importing the
same file again replaces its counts instead of doubling them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import PurePosixPath, PureWindowsPath

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from chuhai.catalog import service as catalog
from chuhai.catalog.tables import SkuRow
from chuhai.core.context import Context
from chuhai.core.errors import ValidationFailed
from chuhai.core.pagination import Page, paginate
from chuhai.demand import signals
from chuhai.demand.signal_import import SignalReport, parse_signal_file
from chuhai.demand.tables import CategorySignalRow, SkuSignalRow, StockoutRow
from chuhai.demand.trends import Finding, find_trends, growth_of
from chuhai.markets import service as markets

MAX_WINDOW_DAYS = 366
EARLIEST, LATEST = date(1970, 1, 1), date(9999, 1, 1)  # room for two windows either side


# --- import -----------------------------------------------------------------------------------


def import_signals(ctx: Context, filename: str, content: bytes) -> SignalReport:
    """Check a CSV of signals and, when every row is good, store them."""
    ctx.actor.require("demand.manage")
    if len(content) > ctx.settings.max_import_bytes:
        raise ValidationFailed.one(
            "file", f"the file is over {ctx.settings.max_import_bytes:,} bytes"
        )
    report = parse_signal_file(
        content,
        today=ctx.now().date(),
        markets=markets.active_market_codes(ctx.session),
        categories=catalog.category_codes(ctx.session),
        find_skus=lambda codes: _find_skus(ctx.session, codes),
    )
    if report.ok:
        source = source_of(filename)
        signals.put_sku_counts(ctx.session, report.sku_counts, source, ctx.now())
        signals.put_category_counts(ctx.session, report.category_counts, source, ctx.now())
        ctx.session.flush()
    return report


def source_of(filename: str) -> str:
    """csv:<the file's own name>, without any folder a browser sent along."""
    name = PureWindowsPath(PurePosixPath(filename or "upload.csv").name).name.strip()
    return f"csv:{name or 'upload.csv'}"[:120]


def _find_skus(session: Session, texts: list[str]) -> dict[str, list[str]]:
    """SKU code or id as written -> the SKU ids it names (a code is unique per supplier only).
    Read from the catalog's table, as the storefront does: the catalog service has no lookup
    by code across suppliers."""
    found: dict[str, list[str]] = defaultdict(list)
    query = select(SkuRow.id, SkuRow.sku_code).where(
        or_(SkuRow.sku_code.in_(texts), SkuRow.id.in_(texts))
    )
    for sku_id, code in session.execute(query.order_by(SkuRow.id)):
        for text in {code, sku_id} & set(texts):
            found[text].append(sku_id)
    return dict(found)


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignalFilter:
    market: str | None = None
    sku_id: str | None = None
    kind: str | None = None
    start: date | None = None
    end: date | None = None


def sku_signals(
    ctx: Context, where: SignalFilter, limit: int = 50, offset: int = 0
) -> Page[SkuSignalRow]:
    ctx.actor.require("demand.read")
    _check_filter(where, signals.SKU_KINDS)
    query = select(SkuSignalRow).order_by(
        SkuSignalRow.day.desc(), SkuSignalRow.market_code, SkuSignalRow.sku_id, SkuSignalRow.kind
    )
    if where.market:
        query = query.where(SkuSignalRow.market_code == where.market.upper())
    if where.sku_id:
        query = query.where(SkuSignalRow.sku_id == where.sku_id)
    if where.kind:
        query = query.where(SkuSignalRow.kind == where.kind)
    if where.start:
        query = query.where(SkuSignalRow.day >= where.start)
    if where.end:
        query = query.where(SkuSignalRow.day <= where.end)
    return paginate(ctx.session, query, limit, offset)


def category_signals(
    ctx: Context, where: SignalFilter, limit: int = 50, offset: int = 0
) -> Page[CategorySignalRow]:
    ctx.actor.require("demand.read")
    _check_filter(where, signals.CATEGORY_KINDS)
    query = select(CategorySignalRow).order_by(
        CategorySignalRow.day.desc(),
        CategorySignalRow.market_code,
        CategorySignalRow.count.desc(),
        CategorySignalRow.query,
    )
    if where.market:
        query = query.where(CategorySignalRow.market_code == where.market.upper())
    if where.kind:
        query = query.where(CategorySignalRow.kind == where.kind)
    if where.start:
        query = query.where(CategorySignalRow.day >= where.start)
    if where.end:
        query = query.where(CategorySignalRow.day <= where.end)
    return paginate(ctx.session, query, limit, offset)


def _check_filter(where: SignalFilter, kinds: tuple[str, ...]) -> None:
    if where.kind and where.kind not in kinds:
        raise ValidationFailed.one("kind", f"one of {', '.join(kinds)}")
    if where.start and where.end and where.start > where.end:
        raise ValidationFailed.one("start", "after the end")


def stockouts(
    ctx: Context,
    *,
    market: str | None = None,
    sku_id: str | None = None,
    open_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> Page[StockoutRow]:
    ctx.actor.require("demand.read")
    query = select(StockoutRow).order_by(StockoutRow.started_at.desc(), StockoutRow.id)
    if market:
        query = query.where(StockoutRow.market_code == market.upper())
    if sku_id:
        query = query.where(StockoutRow.sku_id == sku_id)
    if open_only:
        query = query.where(StockoutRow.ended_at.is_(None))
    return paginate(ctx.session, query, limit, offset)


def censored_days(ctx: Context, sku_id: str, market: str, start: date, end: date) -> set[date]:
    ctx.actor.require("demand.read")
    return signals.censored_days(ctx.session, sku_id, market.upper(), start, end)


def _check_window(window_days: int) -> None:
    if isinstance(window_days, bool) or not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise ValidationFailed.one("window_days", f"from 1 to {MAX_WINDOW_DAYS}")


def _check_day(on: date | None) -> None:
    if on is not None and not EARLIEST <= on <= LATEST:
        raise ValidationFailed.one("on", f"a day from {EARLIEST} to {LATEST}")


def trends(ctx: Context, on: date | None = None, window_days: int = 28) -> list[Finding]:
    ctx.actor.require("demand.read")
    _check_window(window_days)
    _check_day(on)
    return find_trends(ctx.session, on or ctx.now().date(), window_days)


@dataclass(frozen=True)
class Mover:
    market: str
    sku_id: str
    sku_code: str
    recent: int
    previous: int
    growth: Decimal


def top_movers(
    ctx: Context, on: date | None = None, window_days: int = 7, per_market: int = 5
) -> dict[str, list[Mover]]:
    """Per market, the SKUs whose units ordered changed most between the last two windows."""
    ctx.actor.require("demand.read")
    _check_window(window_days)
    _check_day(on)
    end = on or ctx.now().date()
    recent_from = end - timedelta(days=window_days - 1)
    previous_from = end - timedelta(days=2 * window_days - 1)
    query = (
        select(SkuSignalRow.market_code, SkuSignalRow.sku_id, SkuSignalRow.day)
        .add_columns(func.sum(SkuSignalRow.count))
        .where(SkuSignalRow.kind == signals.ORDER)
        .where(SkuSignalRow.day.between(previous_from, end))
        .group_by(SkuSignalRow.market_code, SkuSignalRow.sku_id, SkuSignalRow.day)
    )
    units: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for market, sku_id, day, total in ctx.session.execute(query):
        units[(market, sku_id)][0 if day >= recent_from else 1] += int(total or 0)
    codes = catalog.sku_codes(ctx.session, sorted({sku for _, sku in units}))
    by_market: dict[str, list[Mover]] = defaultdict(list)
    for (market, sku_id), (recent, previous) in units.items():
        growth = growth_of(recent, previous)
        by_market[market].append(
            Mover(market, sku_id, codes.get(sku_id, sku_id), recent, previous, growth)
        )
    return {
        market: sorted(movers, key=lambda m: (-abs(m.recent - m.previous), -m.recent, m.sku_code))[
            :per_market
        ]
        for market, movers in sorted(by_market.items())
    }
