"""Reading a CSV file of exchange rates (a bank's daily rates, say) into checked rows.

Columns: `date, base, quote, rate` and optionally `source` (a header row names them, in any
order, any case). One unit of `base` buys `rate` units of `quote` on `date`.

Invariants:
- Pure: the bytes and today's date in, rows and a row-by-row list of problems out; untrusted
  input never raises. The service checks the rows against what is stored and writes nothing
  unless every row is good.
- Row numbers are those a spreadsheet shows: the header is row 1 and blank rows count.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar

from chuhai.core.errors import ValidationFailed
from chuhai.core.money import is_known_currency
from chuhai.finance.fx import ECB, check_source, parse_rate

COLUMNS: tuple[str, ...] = ("date", "base", "quote", "rate", "source")
REQUIRED_COLUMNS: tuple[str, ...] = ("date", "base", "quote", "rate")
DEFAULT_SOURCE = "IMPORT"
MAX_ROWS = 100_000
FILE = "file"  # RateRowError.field for a problem with the whole file

T = TypeVar("T")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class RateRowError:
    row: int  # as a spreadsheet shows it (header is row 1); 0 for a whole-file problem
    field: str  # column name, or "file"
    message: str


@dataclass(frozen=True)
class ImportedRate:
    row: int
    on: date
    base: str
    quote: str
    rate: Decimal
    source: str

    @property
    def key(self) -> tuple[str, str, date, str]:
        return self.base, self.quote, self.on, self.source


@dataclass(frozen=True)
class ParsedRates:
    rates: list[ImportedRate]
    errors: list[RateRowError]
    rows: int  # data rows read (blank rows not counted)


class _FileProblem(Exception):
    """A problem with the whole file; reading stops."""


def parse_rates_csv(
    filename: str,
    content: bytes,
    *,
    today: date,
    default_source: str = DEFAULT_SOURCE,
    max_rows: int = MAX_ROWS,
) -> ParsedRates:
    """Every row of the file as an `ImportedRate`, or the reasons it is not one."""
    try:
        table = _table(filename, content)
        columns = _columns(table[0][1] if table else [])
        data = table[1:]
        if not data:
            raise _FileProblem("the file has a header row but no data rows")
        if len(data) > max_rows:
            raise _FileProblem(
                f"the file has more than {max_rows:,} data rows; split it into smaller files"
            )
    except _FileProblem as problem:
        return ParsedRates([], [RateRowError(0, FILE, str(problem))], 0)
    rates: list[ImportedRate] = []
    errors: list[RateRowError] = []
    first_row: dict[tuple[str, str, date, str], int] = {}
    for number, cells in data:
        if len(cells) > len(columns) and any(cell.strip() for cell in cells[len(columns) :]):
            errors.append(
                RateRowError(
                    number,
                    FILE,
                    f"the row has {len(cells)} cells but the header has {len(columns)} columns",
                )
            )
            continue
        padded = [*cells, *[""] * (len(columns) - len(cells))]
        values = {name: padded[i].strip() for i, name in enumerate(columns)}
        found = _rate(number, values, today, default_source, errors)
        if found is None:
            continue
        if found.key in first_row:
            errors.append(
                RateRowError(
                    number,
                    "date",
                    f"{found.source} {found.base}→{found.quote} for {found.on.isoformat()} "
                    f"is already given on row {first_row[found.key]}",
                )
            )
            continue
        first_row[found.key] = number
        rates.append(found)
    return ParsedRates(rates, errors, len(data))


def _table(filename: str, content: bytes) -> list[tuple[int, list[str]]]:
    """The non-blank rows with their numbers; the first is the header."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    if not name.lower().endswith(".csv"):
        raise _FileProblem(f"{name or 'the file'!r} is not a .csv file; upload rates as CSV")
    if not content.strip():
        raise _FileProblem("the file is empty")
    text = _decode(content)
    if "\x00" in text:
        raise _FileProblem("the file contains NUL characters, so it is not CSV text")
    header_line = next((line for line in io.StringIO(text) if line.strip()), "")
    delimiter = max(_DELIMITERS, key=header_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[tuple[int, list[str]]] = []
    while True:
        first_line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            if "unexpected end of data" in str(error):
                raise _FileProblem(
                    f"a quoted value that starts on line {first_line} is never closed"
                ) from None
            raise _FileProblem(f"line {first_line} is not valid CSV ({error})") from None
        if any(cell.strip() for cell in cells):
            rows.append((first_line, cells))
    return rows


def _decode(content: bytes) -> str:
    """UTF-16 with a BOM (Excel's "Unicode text"), UTF-8 (BOM stripped), else GB18030, the
    superset of GBK that Chinese software writes."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            raise _FileProblem("the file starts as UTF-16 text but is not") from None
    content = content.removeprefix(codecs.BOM_UTF8)
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")
    except UnicodeDecodeError:
        raise _FileProblem("the file is not UTF-8 or GBK text; save it as CSV UTF-8") from None


def _columns(header: list[str]) -> list[str]:
    names = [cell.strip().lower() for cell in header]
    while names and not names[-1]:
        names.pop()
    unknown = [name or "(blank)" for name in names if name not in COLUMNS]
    repeated = sorted({name for name in names if names.count(name) > 1})
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    problems = []
    if unknown:
        problems.append(f"unknown columns {_listed(unknown)}")
    if repeated:
        problems.append(f"columns {_listed(repeated)} appear more than once")
    if missing:
        problems.append(f"missing columns {_listed(missing)}")
    if problems:
        raise _FileProblem(
            "; ".join(problems) + "; the columns are date, base, quote, rate and optionally source"
        )
    return names


def _rate(
    number: int,
    values: dict[str, str],
    today: date,
    default_source: str,
    errors: list[RateRowError],
) -> ImportedRate | None:
    found = len(errors)
    on = _date(number, values["date"], today, errors)
    base = _currency(number, "base", values["base"], errors)
    quote = _currency(number, "quote", values["quote"], errors)
    if base and base == quote:
        errors.append(RateRowError(number, "quote", f"base and quote are both {base}"))
    rate = _checked(number, "rate", values["rate"], parse_rate, errors)
    source_text = values.get("source", "").upper() or default_source
    source = _checked(number, "source", source_text, check_source, errors)
    if source == ECB:
        errors.append(
            RateRowError(
                number,
                "source",
                "ECB is reserved for the ECB's reference rates (chuhai fx load-ecb); "
                "name the source of these rates, e.g. BOC",
            )
        )
    if len(errors) > found or on is None or rate is None or source is None:
        return None
    return ImportedRate(number, on, base, quote, rate, source)


def _date(number: int, text: str, today: date, errors: list[RateRowError]) -> date | None:
    if not text:
        errors.append(RateRowError(number, "date", "give the date"))
        return None
    try:
        if not _ISO_DATE.match(text):
            raise ValueError(text)
        on = date.fromisoformat(text)
    except ValueError:
        errors.append(RateRowError(number, "date", f"{text!r} is not a date like 2026-11-27"))
        return None
    if on > today:
        errors.append(
            RateRowError(
                number,
                "date",
                f"{on.isoformat()} is in the future (today is {today.isoformat()})",
            )
        )
        return None
    return on


def _currency(number: int, column: str, text: str, errors: list[RateRowError]) -> str:
    code = text.upper()
    if not code:
        errors.append(RateRowError(number, column, f"give the {column} currency"))
    elif not is_known_currency(code):
        errors.append(RateRowError(number, column, f"unknown ISO 4217 currency code {text!r}"))
        return ""
    return code


def _checked(
    number: int,
    column: str,
    text: str,
    check: Callable[[str, str], T],
    errors: list[RateRowError],
) -> T | None:
    try:
        return check(text, column)
    except ValidationFailed as failed:
        errors.extend(RateRowError(number, column, e.message) for e in failed.errors)
        return None


def _listed(names: list[str]) -> str:
    return ", ".join(repr(name) for name in names)
