"""Reading a file of external demand signals (a marketplace's trend export, a search-trend
file) into counts, with a report row by row.

Columns (header row, any order): date, market, sku or category, kind, count, and query for
searches. One row per day, market, SKU (its code, or its id) or category, and kind; a
search may name neither SKU nor category (a keyword file): its query is what it counts.

Invariants, as in the catalog's import:
- No database work: the caller passes the known markets and categories and a way to look
  SKU codes up, and writes nothing unless the report has no error.
- Untrusted input never raises: each problem becomes a RowError naming the row (as a
  spreadsheet shows it, header = row 1; 0 for the whole file) and the field.
- A row repeated with the same count is a duplicate and counts once; repeated with another
  count it is an error (which of the two is right cannot be told).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from chuhai.demand.signals import (
    CATEGORY_KINDS,
    SEARCH,
    SKU_KINDS,
    CategoryCount,
    SkuCount,
    normalise_query,
)

COLUMNS = ("date", "market", "sku", "category", "kind", "count", "query")
REQUIRED = ("date", "market", "kind", "count")
MAX_COUNT = 1_000_000_000
MAX_ROWS = 100_000
FILE = "file"
LABELS = {
    "search": "searches",
    "view": "views",
    "add_to_cart": "add-to-carts",
    "order": "units ordered",
    "return": "units returned",
}

# codes or ids as written in the file -> the SKU ids they name (several: ambiguous)
SkuLookup = Callable[[list[str]], dict[str, list[str]]]


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str


@dataclass(frozen=True)
class RowOutcome:
    row: int
    status: str  # imported | duplicate | refused
    message: str


@dataclass
class SignalReport:
    rows: int
    errors: list[RowError]
    outcomes: list[RowOutcome]
    sku_counts: list[SkuCount] = field(default_factory=list)
    category_counts: list[CategoryCount] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if not self.ok:
            if any(e.row == 0 for e in self.errors):
                return f"{self.errors[0].message}; nothing was imported"
            bad = len({e.row for e in self.errors})
            return f"{bad} of {_count(self.rows, 'row')} refused; nothing was imported"
        duplicates = sum(1 for o in self.outcomes if o.status == "duplicate")
        imported = len(self.sku_counts) + len(self.category_counts)
        extra = f", {_count(duplicates, 'duplicate row')} counted once" if duplicates else ""
        return f"{_count(imported, 'signal')} imported from {_count(self.rows, 'row')}{extra}"


@dataclass(frozen=True)
class _Row:
    number: int
    values: dict[str, str]


def parse_signal_file(
    content: bytes,
    *,
    today: date,
    markets: set[str],
    categories: set[str],
    find_skus: SkuLookup,
) -> SignalReport:
    """Every row checked, every problem listed; counts only when the whole file is good."""
    try:
        rows = _read(content)
    except _FileProblem as problem:
        return SignalReport(0, [RowError(0, FILE, str(problem))], [])
    codes = sorted({r.values.get("sku", "") for r in rows} - {""})
    skus = find_skus(codes) if codes else {}
    report = SignalReport(len(rows), [], [])
    seen: dict[tuple[object, ...], tuple[int, int]] = {}
    for row in rows:
        errors, key, description = _check(row, today, markets, categories, skus)
        if not errors and key is not None:
            errors, duplicate = _repeat(row, key, seen)
            if duplicate:
                report.outcomes.append(RowOutcome(row.number, "duplicate", duplicate))
                continue
        if errors:
            report.errors.extend(errors)
            message = "; ".join(f"{e.field}: {e.message}" for e in errors)
            report.outcomes.append(RowOutcome(row.number, "refused", message))
            continue
        report.outcomes.append(RowOutcome(row.number, "imported", description))
    if report.ok:
        _collect(report, seen)
    return report


class _FileProblem(Exception):
    pass


def _read(content: bytes) -> list[_Row]:
    content = content.removeprefix(codecs.BOM_UTF8)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = content.decode("gb18030")
        except UnicodeDecodeError:
            raise _FileProblem(
                "the file is not UTF-8 or GB18030 text; save it as CSV UTF-8"
            ) from None
    if "\x00" in text:
        raise _FileProblem("the file contains NUL characters, so it is not CSV text")
    try:
        table = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as error:
        raise _FileProblem(f"the file is not readable CSV ({error})") from None
    if not table or not any(cell.strip() for cell in table[0]):
        raise _FileProblem("the file is empty; the first row must name the columns")
    header = [cell.strip().lower() for cell in table[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise _FileProblem(f"the header lacks the column(s) {', '.join(missing)}")
    if "sku" not in header and "category" not in header:
        raise _FileProblem("the header needs a sku or a category column")
    unknown = [c for c in header if c and c not in COLUMNS]
    if unknown:
        raise _FileProblem(
            f"unknown column(s) {', '.join(unknown)}; the columns are {', '.join(COLUMNS)}"
        )
    if len(table) - 1 > MAX_ROWS:
        raise _FileProblem(f"the file has more than {MAX_ROWS:,} rows; split it")
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        rows.append(_Row(number, {h: c.strip() for h, c in zip(header, cells, strict=False) if h}))
    if not rows:
        raise _FileProblem("the file has a header but no rows")
    return rows


_Key = tuple[object, ...]


def _check(
    row: _Row,
    today: date,
    markets: set[str],
    categories: set[str],
    skus: dict[str, list[str]],
) -> tuple[list[RowError], _Key | None, str]:
    values = row.values
    errors: list[RowError] = []

    def refuse(name: str, message: str) -> None:
        errors.append(RowError(row.number, name, message))

    day = _day(values.get("date", ""), today, refuse)
    market = values.get("market", "").upper()
    if market not in markets:
        refuse("market", f"unknown market {values.get('market', '')!r}" if market else "missing")
    count = _whole(values.get("count", ""), refuse)
    kind = values.get("kind", "").lower()
    sku_text, category = values.get("sku", ""), values.get("category", "")
    query = normalise_query(values.get("query", ""))
    if sku_text and category:
        refuse("category", "give a sku or a category, not both")
    elif not sku_text and not category and kind != SEARCH:
        # a search names its query, so it may come without a category (""): a keyword file
        refuse("sku", "give a sku (its code) or a category")
    if kind not in CATEGORY_KINDS:
        refuse(
            "kind", f"unknown kind {values.get('kind', '')!r}; one of {', '.join(CATEGORY_KINDS)}"
        )
    elif sku_text and kind not in SKU_KINDS:
        refuse("kind", "searches are counted per category: give a category, not a sku")
    elif kind == SEARCH and not query:
        refuse("query", "a search needs the text searched for")
    elif kind != SEARCH and query:
        refuse("query", "only searches carry a query")
    sku_id = _sku(sku_text, skus, refuse) if sku_text else None
    if category and category not in categories:
        refuse("category", f"unknown category {category!r}")
    if errors or day is None or count is None:
        return errors, None, ""
    what = f"{count} {LABELS[kind]}" + (f" for {query!r}" if kind == SEARCH else "")
    if sku_id is not None:
        text = f"SKU {sku_text} in {market} on {day}: {what}"
        return [], ("sku", day, market, sku_id, kind, count), text
    where = f"{category} in {market}" if category else market
    text = f"{where} on {day}: {what}"
    return [], ("category", day, market, category, kind, query, count), text


def _day(text: str, today: date, refuse: Callable[[str, str], None]) -> date | None:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        refuse("date", f"{text!r} is not a date such as 2026-11-01" if text else "missing")
        return None
    if day > today:
        refuse("date", f"{day} is in the future (today is {today})")
        return None
    return day


def _whole(text: str, refuse: Callable[[str, str], None]) -> int | None:
    try:
        number = int(text)
    except ValueError:
        refuse("count", f"{text!r} is not a whole number" if text else "missing")
        return None
    if number < 0:
        refuse("count", "a count cannot be negative")
        return None
    if number > MAX_COUNT:
        refuse("count", f"at most {MAX_COUNT:,}")
        return None
    return number


def _sku(text: str, skus: dict[str, list[str]], refuse: Callable[[str, str], None]) -> str | None:
    found = skus.get(text, [])
    if not found:
        refuse("sku", f"unknown SKU {text!r}")
        return None
    if len(found) > 1:
        refuse("sku", f"SKU code {text!r} belongs to several suppliers; give the SKU id")
        return None
    return found[0]


def _repeat(row: _Row, key: _Key, seen: dict[_Key, tuple[int, int]]) -> tuple[list[RowError], str]:
    """(errors, duplicate message): the same key again with the same count is a duplicate."""
    identity, count = key[:-1], int(key[-1])  # type: ignore[call-overload]
    if identity not in seen:
        seen[identity] = (row.number, count)
        return [], ""
    first, first_count = seen[identity]
    if first_count == count:
        return [], f"repeats row {first}; counted once"
    message = f"repeats row {first} with another count ({count}, not {first_count})"
    return [RowError(row.number, "count", message)], ""


def _collect(report: SignalReport, seen: dict[_Key, tuple[int, int]]) -> None:
    for identity, (_, count) in seen.items():
        if identity[0] == "sku":
            _, day, market, sku_id, kind = identity
            report.sku_counts.append(SkuCount(day, market, sku_id, kind, count))  # type: ignore[arg-type]
        else:
            _, day, market, category, kind, query = identity
            report.category_counts.append(
                CategoryCount(day, market, category, kind, query, count)  # type: ignore[arg-type]
            )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
