"""Demand signals: recording daily counts, capturing them from the platform, and reading
them back as the forecaster's history.

Where counts come from:
- the storefront (`record_storefront`): product views (one per SKU of the product shown),
  searches (per market, with the category most of the results belong to, "" when nothing
  was found) and add-to-carts. One upsert in a transaction of its own, which never
  raises: a signal lost is better than a page broken;
- orders (event payment.captured): units ordered, on the day the order was paid; a later
  cancellation does not take the demand back, the buyer did want the goods;
- returns (event return.received): units that came back;
- stock (event stock.available_changed): a stockout opens when a move leaves no warehouse
  serving a market with the SKU available, and closes when stock is available there again.

Idempotency: the platform's sources add to the day's count (each event is published once,
in the transaction that caused it); an imported source replaces its own count for a key,
so importing a file again changes nothing (see `put_sku_counts`).

Days are UTC calendar days throughout (signals, stockouts, history). pandas is imported
only where a data frame is built, so the shop and the order flow never load it.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, func, select
from sqlalchemy import text as sql_text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from chuhai.catalog import service as catalog
from chuhai.core import events
from chuhai.core.auth import SYSTEM
from chuhai.core.context import Context
from chuhai.core.ids import new_id
from chuhai.core.runtime import Runtime
from chuhai.demand.tables import CategorySignalRow, SkuSignalRow, StockoutRow
from chuhai.inventory import ledger
from chuhai.inventory import warehouses as warehouse_service

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

VIEW, SEARCH, ADD_TO_CART, ORDER, RETURN = "view", "search", "add_to_cart", "order", "return"
SKU_KINDS = (VIEW, ADD_TO_CART, ORDER, RETURN)
CATEGORY_KINDS = (SEARCH, VIEW, ADD_TO_CART, ORDER, RETURN)
STOREFRONT, ORDERS, INVENTORY = "storefront", "orders", "inventory"
MAX_QUERY = 100
SIGNAL_WAIT_MS = 250
SQLITE_BUSY_TIMEOUT_MS = 30_000  # as core.db sets it on every SQLite connection


@dataclass(frozen=True)
class SkuCount:
    day: date
    market_code: str
    sku_id: str
    kind: str
    count: int


@dataclass(frozen=True)
class CategoryCount:
    day: date
    market_code: str
    category_code: str  # "" when the source names none
    kind: str
    query: str  # searches only; "" otherwise
    count: int


def normalise_query(text: str) -> str:
    """Search text as counted: lower case, single spaces, at most 100 characters."""
    return re.sub(r"\s+", " ", str(text)).strip().lower()[:MAX_QUERY]


# --- writing ----------------------------------------------------------------------------------


def add_sku_counts(
    session: Session, counts: Iterable[SkuCount], source: str, now: datetime
) -> None:
    """Add to the day's counts (the platform's own sources)."""
    _upsert_sku(session, counts, source, now, add=True)


def put_sku_counts(
    session: Session, counts: Iterable[SkuCount], source: str, now: datetime
) -> None:
    """Set the day's counts of one source, replacing what it said before (imports)."""
    _upsert_sku(session, counts, source, now, add=False)


def add_category_counts(
    session: Session, counts: Iterable[CategoryCount], source: str, now: datetime
) -> None:
    _upsert_category(session, counts, source, now, add=True)


def put_category_counts(
    session: Session, counts: Iterable[CategoryCount], source: str, now: datetime
) -> None:
    _upsert_category(session, counts, source, now, add=False)


def _upsert_sku(
    session: Session, counts: Iterable[SkuCount], source: str, now: datetime, *, add: bool
) -> None:
    merged: dict[tuple[Any, ...], int] = defaultdict(int)
    for c in counts:
        key = (c.day, c.market_code, c.sku_id, c.kind)
        merged[key] = merged[key] + c.count if add else c.count
    rows = [
        {"day": d, "market_code": m, "sku_id": s, "kind": k, "source": source, "count": n}
        for (d, m, s, k), n in merged.items()
    ]
    _upsert(session, SkuSignalRow.__table__, rows, now, add=add)  # type: ignore[arg-type]


def _upsert_category(
    session: Session, counts: Iterable[CategoryCount], source: str, now: datetime, *, add: bool
) -> None:
    merged: dict[tuple[Any, ...], int] = defaultdict(int)
    for c in counts:
        key = (c.day, c.market_code, c.category_code, c.kind, c.query)
        merged[key] = merged[key] + c.count if add else c.count
    rows = [
        {
            "day": d,
            "market_code": m,
            "category_code": cat,
            "kind": k,
            "query": q,
            "source": source,
            "count": n,
        }
        for (d, m, cat, k, q), n in merged.items()
    ]
    _upsert(session, CategorySignalRow.__table__, rows, now, add=add)  # type: ignore[arg-type]


def _upsert(
    session: Session, table: Table, rows: list[dict[str, Any]], now: datetime, *, add: bool
) -> None:
    """One statement for all rows: insert, or on the same key add to / replace the count.
    Keys are merged first: PostgreSQL refuses to touch one row twice in a statement."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values([{**row, "updated_at": now} for row in rows])
    count = table.c.count + statement.excluded.count if add else statement.excluded.count
    statement = statement.on_conflict_do_update(
        index_elements=list(table.primary_key.columns),
        set_={"count": count, "updated_at": statement.excluded.updated_at},
    )
    session.execute(statement)


# --- capture: the storefront ------------------------------------------------------------------


def record_storefront(
    rt: Runtime,
    market_code: str,
    kind: str,
    *,
    sku_ids: Sequence[str] = (),
    category_code: str = "",
    query: str = "",
) -> None:
    """Count one shopper's view, search or add-to-cart, in a transaction of its own.

    Never raises: losing one count must not turn into an error for the shopper. Failures
    are logged."""
    now = rt.clock.now()
    if kind == SEARCH:
        text = normalise_query(query)
        if not text:
            return
        categories = [CategoryCount(now.date(), market_code, category_code, SEARCH, text, 1)]
        skus: list[SkuCount] = []
    else:
        categories = []
        skus = [SkuCount(now.date(), market_code, sku, kind, 1) for sku in sku_ids]
    try:
        with rt.db.unit_of_work() as uow:
            _wait_briefly(uow.session)
            try:
                add_category_counts(uow.session, categories, STOREFRONT, now)
                add_sku_counts(uow.session, skus, STOREFRONT, now)
                uow.commit()
            finally:
                uow.session.rollback()
                _restore_waits(uow.session)
    except Exception:  # noqa: BLE001  (a lost count must never fail the shop)
        log.warning("demand signal %s in %s not recorded", kind, market_code, exc_info=True)


def _wait_briefly(session: Session) -> None:
    """A shopper's page never waits long behind another writer for a count: give up after
    a quarter second (the count is lost, the page is not)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(sql_text(f"SET LOCAL lock_timeout = '{SIGNAL_WAIT_MS}ms'"))
    elif dialect == "sqlite":
        session.execute(sql_text(f"PRAGMA busy_timeout={SIGNAL_WAIT_MS}"))


def _restore_waits(session: Session) -> None:
    # SQLite's timeout belongs to the pooled connection, not the transaction: put back the
    # engine's (core.db) before the connection serves anyone else
    if session.get_bind().dialect.name == "sqlite":
        session.execute(sql_text(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}"))


def main_category(category_codes: Iterable[str]) -> str:
    """The category most of a search's results belong to ("" for none; ties by code)."""
    tally: dict[str, int] = defaultdict(int)
    for code in category_codes:
        tally[code] += 1
    if not tally:
        return ""
    return min(tally, key=lambda code: (-tally[code], code))


# --- capture: orders and returns --------------------------------------------------------------


def _units(lines: Any) -> dict[str, int]:
    units: dict[str, int] = defaultdict(int)
    for line in lines or ():
        units[str(line["sku_id"])] += int(line["quantity"])
    return units


def _on_payment_captured(ctx: Context, payload: dict[str, Any]) -> None:
    day = ctx.now().date()
    market = str(payload["market"])
    counts = [
        SkuCount(day, market, sku, ORDER, n) for sku, n in _units(payload.get("items")).items()
    ]
    add_sku_counts(ctx.session, counts, ORDERS, ctx.now())


def _on_return_received(ctx: Context, payload: dict[str, Any]) -> None:
    day = ctx.now().date()
    market = str(payload["market"])
    counts = [
        SkuCount(day, market, sku, RETURN, n) for sku, n in _units(payload.get("lines")).items()
    ]
    add_sku_counts(ctx.session, counts, ORDERS, ctx.now())


# --- capture: stockouts -----------------------------------------------------------------------


def _on_available_changed(ctx: Context, payload: dict[str, Any]) -> None:
    """Open or close stockouts for the SKUs whose availability a stock move changed."""
    platform = Context(ctx.session, SYSTEM, ctx.clock, ctx.settings)
    by_sku: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for move in payload.get("moves", ()):
        by_sku[str(move["sku_id"])].append(move)
    for sku_id in sorted(by_sku):
        _update_stockouts(platform, sku_id, by_sku[sku_id])


def _update_stockouts(ctx: Context, sku_id: str, moves: list[dict[str, Any]]) -> None:
    session = ctx.session
    open_rows = {row.market_code: row for row in _open_stockouts(session, sku_id)}
    taken_from = {str(m["warehouse_id"]) for m in moves if int(m["available_change"]) < 0}
    if not taken_from and not open_rows:
        return  # stock arriving, nothing sold out: one query
    available = ledger.available(session, [sku_id])
    emptied = {wh for wh in taken_from if available.get((sku_id, wh), 0) <= 0}
    if not emptied and not open_rows:
        return  # units sold, some left where they were taken: two queries
    serving = _serving_warehouses(ctx)
    candidates = set(open_rows)
    if emptied:
        listed = {market for _, market in catalog.listed_sku_markets(session, [sku_id])}
        candidates |= {m for m, ids in serving.items() if ids & emptied and m in listed}
    for market in sorted(candidates):
        units = sum(n for (_, wh), n in available.items() if wh in serving.get(market, set()))
        if units > 0 and market in open_rows:
            open_rows[market].ended_at = ctx.now()
        elif units <= 0 and market not in open_rows and emptied:
            session.add(
                StockoutRow(
                    id=new_id("sto"),
                    sku_id=sku_id,
                    market_code=market,
                    started_at=ctx.now(),
                    ended_at=None,
                    source=INVENTORY,
                )
            )
    session.flush()


def _open_stockouts(session: Session, sku_id: str) -> list[StockoutRow]:
    query = select(StockoutRow).where(StockoutRow.sku_id == sku_id, StockoutRow.ended_at.is_(None))
    return list(session.scalars(query))


def _serving_warehouses(ctx: Context) -> dict[str, set[str]]:
    """market -> the active warehouses that may serve it."""
    serving: dict[str, set[str]] = defaultdict(set)
    for row in warehouse_service.list_warehouses(ctx):
        if row.active:
            for market in row.markets or ():
                serving[str(market)].add(row.id)
    return serving


events.subscribe("payment.captured", _on_payment_captured)
events.subscribe("return.received", _on_return_received)
events.subscribe("stock.available_changed", _on_available_changed)


# --- reading ----------------------------------------------------------------------------------


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def stockouts_between(
    session: Session,
    start: date,
    end: date,
    *,
    sku_ids: Sequence[str] | None = None,
    market_codes: Sequence[str] | None = None,
) -> list[StockoutRow]:
    """Stockouts that touch any day from `start` to `end` (inclusive)."""
    query = (
        select(StockoutRow)
        .where(StockoutRow.started_at < _day_start(end + timedelta(days=1)))
        .where((StockoutRow.ended_at.is_(None)) | (StockoutRow.ended_at > _day_start(start)))
        .order_by(StockoutRow.started_at, StockoutRow.id)
    )
    if sku_ids is not None:
        query = query.where(StockoutRow.sku_id.in_(list(sku_ids)))
    if market_codes is not None:
        query = query.where(StockoutRow.market_code.in_(list(market_codes)))
    return list(session.scalars(query))


def days_touched(row: StockoutRow, start: date, end: date) -> list[date]:
    """The UTC days from `start` to `end` during which the stockout lasted at any moment."""
    first = max(row.started_at.date(), start)
    last = end
    if row.ended_at is not None:
        # an interval ending exactly at midnight does not touch the day that begins then
        ended = row.ended_at - timedelta(microseconds=1)
        last = min(ended.date(), end)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def censored_days(
    session: Session, sku_id: str, market_code: str, start: date, end: date
) -> set[date]:
    """Days from `start` to `end` on which the SKU was out of stock in the market for at
    least a moment: what sold those days understates demand."""
    days: set[date] = set()
    for row in stockouts_between(session, start, end, sku_ids=[sku_id], market_codes=[market_code]):
        days.update(days_touched(row, start, end))
    return days


def series_id(sku_id: str, market_code: str) -> str:
    return f"{sku_id}@{market_code}"


def history_frame(
    session: Session,
    *,
    end: date,
    market_codes: Sequence[str] | None = None,
    sku_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Units ordered per SKU × market and day, what the forecaster consumes.

    Columns: unique_id (str, "<sku id>@<market>"), ds (datetime64, daily), y (float),
    sku_id, market_code, censored (bool: a stockout touched the day). Each series runs on
    a dense daily grid from its first ordered unit to `end`, zero where nothing was ordered,
    every source summed. Series with no order before `end` are absent.
    """
    import pandas as pd  # only the forecaster's side needs pandas; imported when asked

    query = (
        select(
            SkuSignalRow.sku_id,
            SkuSignalRow.market_code,
            SkuSignalRow.day,
            func.sum(SkuSignalRow.count),
        )
        .where(SkuSignalRow.kind == ORDER, SkuSignalRow.day <= end)
        .group_by(SkuSignalRow.sku_id, SkuSignalRow.market_code, SkuSignalRow.day)
    )
    if market_codes is not None:
        query = query.where(SkuSignalRow.market_code.in_(list(market_codes)))
    if sku_ids is not None:
        query = query.where(SkuSignalRow.sku_id.in_(list(sku_ids)))
    rows = [
        (sku, market, day, int(total or 0))
        for sku, market, day, total in session.execute(query)
        if total  # a zero count starts no series
    ]
    if not rows:
        return _empty_history()
    return _dense(session, pd.DataFrame(rows, columns=["sku_id", "market_code", "day", "y"]), end)


def _dense(session: Session, sparse: pd.DataFrame, end: date) -> pd.DataFrame:
    """Every day from each series' first order to `end`, zero where nothing was ordered,
    with the stockout days flagged: built with array arithmetic, never a loop per day (each
    day's row sits at its series' start plus the days since the series' first order)."""
    import numpy as np
    import pandas as pd

    keys = sparse["sku_id"].astype(str) + "@" + sparse["market_code"].astype(str)
    codes, names = pd.factorize(keys, sort=True)
    days = pd.to_datetime(sparse["day"]).to_numpy().astype("datetime64[D]")
    first = pd.Series(days).groupby(codes).min().to_numpy().astype("datetime64[D]")
    lengths = (np.datetime64(end, "D") - first).astype(np.int64) + 1
    starts = np.cumsum(lengths) - lengths
    series = np.repeat(np.arange(len(names)), lengths)
    offsets = np.arange(int(lengths.sum())) - starts[series]
    y = np.zeros(len(series))
    at = starts[codes] + (days - first[codes]).astype(np.int64)
    np.add.at(y, at, sparse["y"].to_numpy(dtype=float))
    labels = np.asarray(names, dtype=object)
    parts = [str(name).rsplit("@", 1) for name in labels]
    position = {str(name): (int(starts[i]), first[i]) for i, name in enumerate(labels)}
    censored = np.zeros(len(series), dtype=bool)
    for uid, day in _stockout_days(session, set(position), first.min().astype(date), end):
        begin, origin = position[uid]
        censored[begin + int((np.datetime64(day, "D") - origin).astype(np.int64))] = True
    return pd.DataFrame(
        {
            "unique_id": labels[series],
            "ds": (first[series] + offsets.astype("timedelta64[D]")).astype("datetime64[ns]"),
            "y": y,
            "sku_id": np.asarray([p[0] for p in parts], dtype=object)[series],
            "market_code": np.asarray([p[1] for p in parts], dtype=object)[series],
            "censored": censored,
        }
    )


def _stockout_days(
    session: Session, series: set[str], start: date, end: date
) -> Iterable[tuple[str, date]]:
    """(series id, day) for each day from `start` to `end` a stockout of that SKU in that
    market touched, for the series asked about."""
    skus = sorted({uid.rsplit("@", 1)[0] for uid in series})
    for row in stockouts_between(session, start, end, sku_ids=skus):
        uid = series_id(row.sku_id, row.market_code)
        if uid in series:
            for day in days_touched(row, start, end):
                yield uid, day


def _empty_history() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(
        {
            "unique_id": pd.Series(dtype=str),
            "ds": pd.Series(dtype="datetime64[ns]"),
            "y": pd.Series(dtype=float),
            "sku_id": pd.Series(dtype=str),
            "market_code": pd.Series(dtype=str),
            "censored": pd.Series(dtype=bool),
        }
    )
