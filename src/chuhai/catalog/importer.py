"""Bulk import of a supplier's catalog from a CSV or XLSX file into ProductDraft objects.

A supplier fills in the template (one row per SKU; rows sharing a product_ref form one product)
and uploads it. This module reads the file and reports every problem row by row, so the supplier
can fix them all in one pass.

Invariants:
- No database work and no I/O beyond the bytes handed in: the caller passes the known category
  and market codes, and writes nothing unless ``report.ok``.
- Field rules live in ``ProductDraft.errors`` / ``SkuDraft.errors``; this module only turns cells
  into values and maps each FieldError back to the row and column it came from.
- Untrusted input never raises: every problem becomes a RowError (row 0 for the whole file).
- Row numbers are those a spreadsheet shows: the header is row 1 and blank rows count.
- One problem is reported once per cell: a cell the importer already rejected (blank, not a whole
  number, repeated SKU code) gets no second message from the model's validators.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import openpyxl
from openpyxl.styles import Font

from chuhai.catalog.model import ProductDraft, SkuDraft

COLUMNS: tuple[str, ...] = (
    "product_ref",
    "category",
    "title_zh",
    "title_en",
    "description_zh",
    "description_en",
    "brand",
    "target_markets",
    "attributes",
    "sku_code",
    "barcode",
    "options",
    "weight_g",
    "length_mm",
    "width_mm",
    "height_mm",
    "materials",
    "origin_country",
    "supply_price_cny",
    "moq",
    "lead_time_days",
    "daily_capacity",
)
OPTIONAL_COLUMNS: frozenset[str] = frozenset(
    {
        "description_zh",
        "description_en",
        "brand",
        "attributes",
        "barcode",
        "options",
        "materials",
        "origin_country",
        "target_markets",
    }
)
REQUIRED_COLUMNS: frozenset[str] = frozenset(COLUMNS) - OPTIONAL_COLUMNS
# columns that describe the product, not the SKU: blank or equal on a product's later rows
PRODUCT_COLUMNS: tuple[str, ...] = (
    "category",
    "title_zh",
    "title_en",
    "description_zh",
    "description_en",
    "brand",
    "target_markets",
    "attributes",
)
INTEGER_COLUMNS: tuple[str, ...] = (
    "weight_g",
    "length_mm",
    "width_mm",
    "height_mm",
    "moq",
    "lead_time_days",
    "daily_capacity",
)
FILE = "file"  # RowError.field for a problem with the file rather than one cell

_XLSX_BROKEN = "the file is not a valid XLSX workbook (truncated or corrupt)"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_DELIMITERS = (",", ";", "\t")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")
_SKU_FIELD = re.compile(r"skus\[(\d+)\]\.(\w+)")
_MARKET_SEPARATORS = re.compile(r"[;,，；、\s]+")
_PAIR_SEPARATORS = re.compile(r"[;；]")
_MODEL_COLUMN = {
    "ref": "product_ref",
    "category_code": "category",
    "supply_price": "supply_price_cny",
    "supply_price_currency": "supply_price_cny",
    "skus": "product_ref",
}
_COLUMN_ORDER = {name: index for index, name in enumerate(COLUMNS)}


@dataclass(frozen=True)
class RowError:
    row: int  # as a spreadsheet shows it (header is row 1); 0 for a whole-file problem
    field: str  # column name, or "file"
    message: str


@dataclass
class ImportReport:
    products: list[ProductDraft]
    errors: list[RowError]
    rows: int  # data rows read (blank rows not counted)
    file_format: str  # "csv" | "xlsx" (the lower-cased extension when it is neither)
    encoding: str | None  # CSV: "utf-8" or "gb18030"; None for XLSX
    sku_rows: dict[str, int] = field(default_factory=dict)  # sku_code -> its row in the file

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.ok:
            skus = sum(len(product.skus) for product in self.products)
            counts = [_count(self.rows, "row"), _count(len(self.products), "product")]
            return f"{', '.join(counts)}, {_count(skus, 'SKU')}, no errors"
        whole_file = [error for error in self.errors if error.row == 0]
        if whole_file:
            more = len(whole_file) - 1
            extra = f" (and {_count(more, 'more problem')})" if more else ""
            return f"{whole_file[0].message}{extra}; nothing was imported"
        bad_rows = len({error.row for error in self.errors})
        verb = "has" if bad_rows == 1 else "have"
        return f"{bad_rows} of {_count(self.rows, 'row')} {verb} errors; nothing was imported"


def parse_catalog_file(
    filename: str,
    content: bytes,
    *,
    categories: set[str],
    markets: set[str],
    max_rows: int = 20000,
) -> ImportReport:
    """Read a catalog file into drafts and list every problem; never raises on bad input."""
    file_format = _extension(filename)
    encoding: str | None = None
    rows = 0
    try:
        table, encoding = _read_table(filename, file_format, content, max_rows + 2)
        header, data = _split_header(table)
        rows = len(data)
        columns = _header_columns(header)
        _check_row_count(rows, max_rows)
    except _FileProblem as problem:
        file_errors = [RowError(0, FILE, message) for message in problem.args]
        return ImportReport([], file_errors, rows, file_format, encoding)
    errors = _Errors()
    lines = _lines(data, columns, file_format == "csv", errors)
    products = _products(lines, categories, markets, errors)
    sku_rows: dict[str, int] = {}
    for line in lines:
        sku_rows.setdefault(_text(line.values.get("sku_code")), line.number)
    return ImportReport(products, errors.in_order(), rows, file_format, encoding, sku_rows)


def template_csv() -> bytes:
    """The header and one example row, UTF-8 with a BOM so Excel shows the Chinese right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerow([str(_EXAMPLE[name]) for name in COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


def template_xlsx() -> bytes:
    """The header (required columns in bold) and one example row, on one worksheet."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "catalog"
    sheet.append(list(COLUMNS))
    sheet.append([_EXAMPLE[name] for name in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=cell.value in REQUIRED_COLUMNS)
    for cell in sheet[2]:
        if isinstance(cell.value, str):
            cell.number_format = "@"  # keep barcodes and prices as typed
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


_EXAMPLE: dict[str, str | int] = {
    "product_ref": "P-1001",
    "category": "home.kitchen",
    "title_zh": "不锈钢保温杯 500毫升",
    "title_en": "Stainless steel vacuum flask 500 ml",
    "description_zh": "双层真空，保温12小时",
    "description_en": "Double-walled, keeps drinks hot for 12 hours",
    "brand": "",
    "target_markets": "US;DE;JP",
    "attributes": "material=stainless steel;capacity_ml=500",
    "sku_code": "P-1001-BLK",
    "barcode": "4006381333931",
    "options": "colour=black",
    "weight_g": 350,
    "length_mm": 75,
    "width_mm": 75,
    "height_mm": 250,
    "materials": "304 stainless steel",
    "origin_country": "CN",
    "supply_price_cny": "12.50",
    "moq": 100,
    "lead_time_days": 15,
    "daily_capacity": 2000,
}


# --- reading the file into raw rows -------------------------------------------------------


class _FileProblem(Exception):
    """Problems with the whole file (one message per arg); reading stops."""


@dataclass(frozen=True)
class _RawRow:
    number: int
    cells: tuple[Any, ...]
    problem: str | None = None  # the row could not be read (malformed CSV)


@dataclass(frozen=True)
class _Line:
    """A readable data row: its number and its cells by column name."""

    number: int
    values: dict[str, Any]


def _extension(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _read_table(
    filename: str, file_format: str, content: bytes, limit: int
) -> tuple[list[_RawRow], str | None]:
    if not file_format:
        raise _FileProblem(
            f"the file name {filename!r} has no extension; upload a .csv or .xlsx file"
        )
    if file_format not in ("csv", "xlsx"):
        raise _FileProblem(
            f"files ending in '.{file_format}' cannot be imported; upload a .csv or .xlsx file"
        )
    if not content:
        raise _FileProblem("the file is empty")
    if content.startswith(_XLS_MAGIC):
        raise _FileProblem(
            "the file is an old Excel 97-2003 workbook (.xls); save it as .xlsx or CSV UTF-8"
        )
    if file_format == "xlsx":
        return _read_xlsx(content, limit), None
    return _read_csv(content, limit)


def _read_csv(content: bytes, limit: int) -> tuple[list[_RawRow], str]:
    if content.startswith(_ZIP_MAGIC):
        raise _FileProblem(
            "the file is a zip archive such as an XLSX workbook, not CSV text; "
            "name it .xlsx or save it as CSV"
        )
    text, encoding = _decode(content)
    if "\x00" in text:
        raise _FileProblem(
            "the file contains NUL characters, so it is not CSV text; save it as CSV UTF-8"
        )
    return _take_rows(_csv_rows(text, _sniff_delimiter(text)), limit), encoding


def _decode(content: bytes) -> tuple[str, str]:
    """UTF-8 (BOM stripped) first, then GB18030, the superset of GBK that Chinese Excel writes."""
    content = content.removeprefix(codecs.BOM_UTF8)
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as error:
        utf8_offset = error.start
    try:
        return content.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as error:
        raise _FileProblem(
            f"the file is neither UTF-8 text (undecodable byte at offset {utf8_offset}) "
            f"nor GBK/GB18030 text (undecodable byte at offset {error.start}); "
            "save it as CSV UTF-8"
        ) from None


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the header line most; ',' when none does."""
    header = next((line for line in io.StringIO(text) if line.strip()), "")
    return max(_DELIMITERS, key=header.count)


def _csv_rows(text: str, delimiter: str) -> Iterator[_RawRow]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    number = 0
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield _RawRow(number, (), _csv_problem(error))
        else:
            yield _RawRow(number, tuple(cells))


def _csv_problem(error: csv.Error) -> str:
    detail = str(error)
    if "unexpected end of data" in detail:
        return (
            "a quoted value is never closed (unterminated quote), "
            "so the rest of the file could not be read"
        )
    if "expected after" in detail:
        return 'a quoted value has text after its closing quote (write a quote inside as "")'
    return f"the row is not valid CSV ({detail})"


def _read_xlsx(content: bytes, limit: int) -> list[_RawRow]:
    if not content.startswith(_ZIP_MAGIC):
        raise _FileProblem(_XLSX_BROKEN)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a damaged zip or XML
        raise _FileProblem(_XLSX_BROKEN) from None
    try:
        if not workbook.worksheets:
            raise _FileProblem("the workbook has no worksheet")
        cells = workbook.worksheets[0].iter_rows(values_only=True)
        return _take_rows((_RawRow(n, tuple(row)) for n, row in enumerate(cells, 1)), limit)
    except _FileProblem:
        raise
    except Exception:  # sheets are parsed lazily, so damage can surface while reading rows
        raise _FileProblem(_XLSX_BROKEN) from None
    finally:
        workbook.close()


def _take_rows(rows: Iterable[_RawRow], limit: int) -> list[_RawRow]:
    """Non-blank rows (and unreadable ones), at most ``limit`` of them."""
    kept: list[_RawRow] = []
    for row in rows:
        if row.problem is None and _is_blank(row.cells):
            continue
        kept.append(row)
        if len(kept) >= limit:
            break
    return kept


def _split_header(table: list[_RawRow]) -> tuple[_RawRow, list[_RawRow]]:
    if not table:
        raise _FileProblem("the file has no header row (it is empty)")
    header = table[0]
    if header.problem:
        raise _FileProblem(f"the header row (row {header.number}) cannot be read: {header.problem}")
    return header, table[1:]


def _header_columns(header: _RawRow) -> list[str | None]:
    """Column name per cell position (None under a blank header cell)."""
    names = [_text(cell).lower() for cell in header.cells]
    while names and not names[-1]:
        names.pop()
    unknown = [name for name in names if name and name not in _COLUMN_ORDER]
    repeated = [name for name in COLUMNS if names.count(name) > 1]
    missing = [name for name in COLUMNS if name in REQUIRED_COLUMNS and name not in names]
    problems = []
    if unknown:
        problems.append(f"unknown columns {_listed(unknown)}; use the template's column names")
    if repeated:
        problems.append(f"columns {_listed(repeated)} appear more than once in the header")
    if missing:
        problems.append(f"missing required columns {_listed(missing)}")
    if problems:
        raise _FileProblem(*problems)
    return [name or None for name in names]


def _check_row_count(rows: int, max_rows: int) -> None:
    if rows > max_rows:
        raise _FileProblem(
            f"the file has more than {max_rows} data rows; split it into smaller files"
        )
    if rows == 0:
        raise _FileProblem("the file has a header row but no data rows")


# --- rows into drafts ----------------------------------------------------------------------


class _Errors:
    """Collects RowErrors; a cell the importer rejected gets no second message from the model."""

    def __init__(self) -> None:
        self._items: list[RowError] = []
        self._rejected: set[tuple[int, str]] = set()

    def cell(self, row: int, column: str, message: str) -> None:
        self._items.append(RowError(row, column, message))
        self._rejected.add((row, column))

    def from_model(self, row: int, column: str, message: str) -> None:
        if (row, column) not in self._rejected:
            self._items.append(RowError(row, column, message))

    def in_order(self) -> list[RowError]:
        return sorted(self._items, key=lambda e: (e.row, _COLUMN_ORDER.get(e.field, -1)))


@dataclass(frozen=True)
class _Given:
    """A product-level value and the row it was first given on."""

    value: Any
    row: int
    text: str


def _lines(
    data: list[_RawRow], columns: list[str | None], is_csv: bool, errors: _Errors
) -> list[_Line]:
    lines = []
    for index, raw in enumerate(data):
        problem = raw.problem or _shape_problem(raw.cells, columns, is_csv, index == len(data) - 1)
        if problem:
            errors.cell(raw.number, FILE, problem)
            continue
        values = {name: cell for name, cell in zip(columns, raw.cells, strict=False) if name}
        lines.append(_Line(raw.number, values))
    return lines


def _shape_problem(
    cells: tuple[Any, ...], columns: list[str | None], is_csv: bool, is_last: bool
) -> str | None:
    width = len(columns)
    size = f"the row has {_count(len(cells), 'cell')} but the header has {_count(width, 'column')}"
    for index, cell in enumerate(cells):
        if (index >= width or columns[index] is None) and _text(cell):
            return size if index >= width else f"column {index + 1} has a value but no header"
    if is_csv and len(cells) < width:
        return f"{size} (the file looks truncated)" if is_last else size
    return None


def _products(
    lines: list[_Line], categories: set[str], markets: set[str], errors: _Errors
) -> list[ProductDraft]:
    _flag_repeated_sku_codes(lines, errors)
    groups: dict[tuple[str, int], list[_Line]] = {}
    for line in lines:
        ref = _text(line.values.get("product_ref"))
        groups.setdefault((ref, 0) if ref else ("", line.number), []).append(line)
    return [_product(ref, group, categories, markets, errors) for (ref, _), group in groups.items()]


def _flag_repeated_sku_codes(lines: list[_Line], errors: _Errors) -> None:
    first_row: dict[str, int] = {}
    for line in lines:
        code = _text(line.values.get("sku_code"))
        if code in first_row:
            errors.cell(
                line.number,
                "sku_code",
                f"sku_code {code!r} is already used on row {first_row[code]}",
            )
        elif code:
            first_row[code] = line.number


def _product(
    ref: str, lines: list[_Line], categories: set[str], markets: set[str], errors: _Errors
) -> ProductDraft:
    if not ref:
        errors.cell(lines[0].number, "product_ref", "product_ref is required")
    shared = _shared_values(lines, errors)
    draft = ProductDraft(
        ref=ref,
        category_code=shared["category"].value,
        title_zh=shared["title_zh"].value,
        title_en=shared["title_en"].value,
        skus=[_sku(line, errors) for line in lines],
        description_zh=shared["description_zh"].value,
        description_en=shared["description_en"].value,
        brand=shared["brand"].value,
        attributes=shared["attributes"].value,
        target_markets=shared["target_markets"].value,
    )
    origin = {column: given.row for column, given in shared.items()}
    for problem in draft.errors(categories, markets):
        row, column = _locate(problem.field, lines, origin)
        errors.from_model(row, column, _sentence(column, problem.message))
    return draft


def _shared_values(lines: list[_Line], errors: _Errors) -> dict[str, _Given]:
    """Product-level values: the first given wins; a later, different one is an error."""
    shared: dict[str, _Given] = {}
    for column in PRODUCT_COLUMNS:
        for line in lines:
            text = _text(line.values.get(column))
            if not text:
                continue
            value = _product_value(column, text, line.number, errors)
            known = shared.get(column)
            if known is None:
                shared[column] = _Given(value, line.number, text)
            elif not _same(value, known.value):
                errors.cell(
                    line.number,
                    column,
                    f"{column} {text!r} differs from row {known.row} of the same product "
                    f"({known.text!r})",
                )
        if column not in shared:
            _require_product_value(column, lines[0].number, errors)
            shared[column] = _Given(_blank_value(column), lines[0].number, "")
    return shared


def _require_product_value(column: str, row: int, errors: _Errors) -> None:
    if column in REQUIRED_COLUMNS:
        errors.cell(row, column, f"{column} is required")


def _product_value(column: str, text: str, row: int, errors: _Errors) -> Any:
    if column == "target_markets":
        return _market_codes(text)
    if column == "attributes":
        return _pairs(text, row, column, errors)
    return text


def _blank_value(column: str) -> Any:
    return {"target_markets": [], "attributes": {}}.get(column, "")


def _same(first: Any, second: Any) -> bool:
    if isinstance(first, list) and isinstance(second, list):
        return sorted(first) == sorted(second)
    return bool(first == second)


def _sku(line: _Line, errors: _Errors) -> SkuDraft:
    row, values = line.number, line.values
    numbers = {name: _whole(values.get(name), row, name, errors) for name in INTEGER_COLUMNS}
    return SkuDraft(
        sku_code=_required_text(values, row, "sku_code", errors),
        supply_price=_price(values.get("supply_price_cny"), row, errors),
        barcode=_text(values.get("barcode")),
        options=_pairs(_text(values.get("options")), row, "options", errors),
        materials=_text(values.get("materials")),
        origin_country=_text(values.get("origin_country")).upper() or "CN",
        **numbers,  # type: ignore[arg-type]  # the integer columns, by name
    )


def _required_text(values: dict[str, Any], row: int, column: str, errors: _Errors) -> str:
    text = _text(values.get(column))
    if not text:
        errors.cell(row, column, f"{column} is required")
    return text


def _price(value: Any, row: int, errors: _Errors) -> str:
    """The price as a decimal string; a float cell is read through its shortest repr."""
    column = "supply_price_cny"
    if isinstance(value, float):
        return str(Decimal(repr(value)))
    text = _text(value)
    if not text:
        errors.cell(row, column, f"{column} is required")
    elif "," in text and not _THOUSANDS.fullmatch(text):
        errors.cell(
            row, column, f"{column} {text!r} has a decimal comma; write it with a point, e.g. 12.50"
        )
    return text


def _whole(value: Any, row: int, column: str, errors: _Errors) -> int:
    """A whole number from an int, a float like 12.0, or text like "1,000"; 0 after an error."""
    text = _text(value)
    if not text:
        errors.cell(row, column, f"{column} is required")
        return 0
    number = _whole_number(value, text)
    if number is None:
        errors.cell(row, column, f"{column} must be a whole number, got {text!r}")
        return 0
    return number


def _whole_number(value: Any, text: str) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite() or number != number.to_integral_value():
        return None
    return int(number)


def _market_codes(text: str) -> list[str]:
    codes = [code.upper() for code in _MARKET_SEPARATORS.split(text) if code]
    return list(dict.fromkeys(codes))


def _pairs(text: str, row: int, column: str, errors: _Errors) -> dict[str, str]:
    """'colour=red;size=M' into a dict; a part without a name or a value is an error."""
    pairs: dict[str, str] = {}
    for part in filter(None, (piece.strip() for piece in _PAIR_SEPARATORS.split(text))):
        name, equals, value = (piece.strip() for piece in part.partition("="))
        if not (equals and name and value):
            errors.cell(
                row,
                column,
                f"{column} must be name=value pairs separated by ';' "
                f"(e.g. colour=red;size=M), got {part!r}",
            )
        elif name in pairs:
            errors.cell(row, column, f"{column} gives {name!r} more than once")
        else:
            pairs[name] = value
    return pairs


def _locate(field: str, lines: list[_Line], origin: dict[str, int]) -> tuple[int, str]:
    """The row and column a FieldError of the product (or of one of its SKUs) came from."""
    match = _SKU_FIELD.fullmatch(field)
    if match:
        name = match[2]
        return lines[int(match[1])].number, _MODEL_COLUMN.get(name, name)
    column = _MODEL_COLUMN.get(field, field)
    return origin.get(column, lines[0].number), column


def _sentence(column: str, message: str) -> str:
    """Make a model message such as "must be greater than zero" name its column."""
    if message.startswith(("must ", "is ")):
        return f"{column} {message}"
    if message[:1].isdigit() or message.startswith("at most "):
        return f"{column} must be {message}"
    return message


# --- small helpers -------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _is_blank(cells: tuple[Any, ...]) -> bool:
    return not any(_text(cell) for cell in cells)


def _listed(names: list[str]) -> str:
    return ", ".join(repr(name) for name in names)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
