"""Bulk catalog import: CSV/XLSX files into ProductDraft objects, with a row-by-row report."""

from __future__ import annotations

import csv
import io
import zipfile

import openpyxl
import pytest

from chuhai.catalog.importer import (
    COLUMNS,
    REQUIRED_COLUMNS,
    RowError,
    parse_catalog_file,
    template_csv,
    template_xlsx,
)
from chuhai.catalog.model import ProductDraft, SkuDraft

CATEGORIES = {"home.kitchen", "apparel.women", "electronics.audio"}
MARKETS = {"US", "GB", "DE", "FR", "JP", "AU", "CN"}

WOK_BLACK = {
    "product_ref": "P-100",
    "category": "home.kitchen",
    "title_zh": "不锈钢炒锅",
    "title_en": "Stainless steel wok",
    "description_zh": "三层复合底",
    "description_en": "Three-ply base",
    "brand": "ChefCo",
    "target_markets": "US;DE",
    "attributes": "material=steel;diameter_cm=32",
    "sku_code": "WOK-32-BLK",
    "barcode": "4006381333931",
    "options": "colour=black",
    "weight_g": "1800",
    "length_mm": "330",
    "width_mm": "330",
    "height_mm": "90",
    "materials": "steel",
    "origin_country": "CN",
    "supply_price_cny": "12.50",
    "moq": "50",
    "lead_time_days": "10",
    "daily_capacity": "500",
}
# later rows of a product leave the product-level columns blank
WOK_RED = {
    **{name: "" for name in COLUMNS},
    "product_ref": "P-100",
    "sku_code": "WOK-32-RED",
    "options": "colour=red",
    "weight_g": "1800",
    "length_mm": "330",
    "width_mm": "330",
    "height_mm": "90",
    "supply_price_cny": "13",
    "moq": "50",
    "lead_time_days": "10",
    "daily_capacity": "500",
}
TEE_M = {
    **{name: "" for name in COLUMNS},
    "product_ref": "P-200",
    "category": "apparel.women",
    "title_zh": "女士棉T恤",
    "title_en": "Women's cotton T-shirt",
    "target_markets": "US;GB;JP",
    "attributes": "material=cotton;style=casual",
    "sku_code": "TEE-W-M",
    "options": "colour=white;size=M",
    "weight_g": "150",
    "length_mm": "300",
    "width_mm": "250",
    "height_mm": "20",
    "materials": "cotton",
    "origin_country": "VN",
    "supply_price_cny": "25.5",
    "moq": "1,000",
    "lead_time_days": "0",
    "daily_capacity": "3000",
}
TEE_L = {**TEE_M, "sku_code": "TEE-W-L", "options": "colour=white;size=L", "weight_g": "160"}
GOOD_ROWS = [WOK_BLACK, WOK_RED, TEE_M, TEE_L]

EXPECTED_PRODUCTS = [
    ProductDraft(
        ref="P-100",
        category_code="home.kitchen",
        title_zh="不锈钢炒锅",
        title_en="Stainless steel wok",
        description_zh="三层复合底",
        description_en="Three-ply base",
        brand="ChefCo",
        target_markets=["US", "DE"],
        attributes={"material": "steel", "diameter_cm": "32"},
        skus=[
            SkuDraft(
                sku_code="WOK-32-BLK",
                supply_price="12.50",
                weight_g=1800,
                length_mm=330,
                width_mm=330,
                height_mm=90,
                moq=50,
                lead_time_days=10,
                daily_capacity=500,
                barcode="4006381333931",
                options={"colour": "black"},
                materials="steel",
                origin_country="CN",
            ),
            SkuDraft(
                sku_code="WOK-32-RED",
                supply_price="13",
                weight_g=1800,
                length_mm=330,
                width_mm=330,
                height_mm=90,
                moq=50,
                lead_time_days=10,
                daily_capacity=500,
                options={"colour": "red"},
                origin_country="CN",
            ),
        ],
    ),
    ProductDraft(
        ref="P-200",
        category_code="apparel.women",
        title_zh="女士棉T恤",
        title_en="Women's cotton T-shirt",
        target_markets=["US", "GB", "JP"],
        attributes={"material": "cotton", "style": "casual"},
        skus=[
            SkuDraft(
                sku_code=code,
                supply_price="25.5",
                weight_g=weight,
                length_mm=300,
                width_mm=250,
                height_mm=20,
                moq=1000,
                lead_time_days=0,
                daily_capacity=3000,
                options={"colour": "white", "size": size},
                materials="cotton",
                origin_country="VN",
            )
            for code, size, weight in (("TEE-W-M", "M", 150), ("TEE-W-L", "L", 160))
        ],
    ),
]


def csv_text(rows: list[dict[str, str]], columns=COLUMNS, delimiter: str = ",") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(name, "") for name in columns])
    return buffer.getvalue()


def xlsx_bytes(rows: list[list[object]], columns=COLUMNS) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(columns))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def parse(filename: str, content: bytes, **options):
    return parse_catalog_file(filename, content, categories=CATEGORIES, markets=MARKETS, **options)


def parse_rows(rows: list[dict[str, str]]):
    return parse("catalog.csv", csv_text(rows).encode("utf-8"))


def errors_of(report) -> list[tuple[int, str, str]]:
    return [(error.row, error.field, error.message) for error in report.errors]


# --- good files -------------------------------------------------------------------------


def test_good_csv_with_two_products_of_two_skus_is_parsed_exactly():
    report = parse("catalog.csv", csv_text(GOOD_ROWS).encode("utf-8"))

    assert report.errors == []
    assert report.ok is True
    assert report.products == EXPECTED_PRODUCTS
    assert report.products[0].skus[0].supply_price == "12.50"
    assert (report.rows, report.file_format, report.encoding) == (4, "csv", "utf-8")
    assert report.summary() == "4 rows, 2 products, 4 SKUs, no errors"


def test_csv_with_a_utf8_bom_is_read_as_utf8_and_the_bom_is_not_part_of_the_header():
    report = parse("catalog.csv", csv_text(GOOD_ROWS).encode("utf-8-sig"))

    assert report.errors == []
    assert report.encoding == "utf-8"
    assert report.products == EXPECTED_PRODUCTS


def test_gbk_encoded_csv_with_chinese_titles_is_read_as_gb18030():
    report = parse("供应商目录.csv", csv_text(GOOD_ROWS).encode("gbk"))

    assert report.errors == []
    assert report.encoding == "gb18030"
    assert [product.title_zh for product in report.products] == ["不锈钢炒锅", "女士棉T恤"]
    assert report.products == EXPECTED_PRODUCTS


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_delimiters_are_sniffed(delimiter):
    text = csv_text(GOOD_ROWS, delimiter=delimiter)

    report = parse("catalog.csv", text.encode("utf-8"))

    assert report.errors == []
    assert report.products == EXPECTED_PRODUCTS


def test_header_names_are_matched_ignoring_case_and_surrounding_spaces():
    columns = [f"  {name.upper()} " for name in COLUMNS]
    lines = csv_text(GOOD_ROWS).splitlines(keepends=True)
    text = ",".join(columns) + "\r\n" + "".join(lines[1:])

    report = parse("catalog.csv", text.encode("utf-8"))

    assert report.errors == []
    assert report.products == EXPECTED_PRODUCTS


def test_optional_columns_may_be_left_out_of_the_file():
    columns = [name for name in COLUMNS if name in REQUIRED_COLUMNS]

    report = parse("catalog.csv", csv_text([WOK_BLACK], columns=columns).encode("utf-8"))

    assert report.errors == []
    [product] = report.products
    assert (product.brand, product.target_markets, product.attributes) == ("", [], {})
    assert (product.skus[0].barcode, product.skus[0].origin_country) == ("", "CN")


def test_blank_rows_are_skipped_but_keep_the_spreadsheet_row_numbers():
    lines = csv_text([WOK_BLACK, {**WOK_RED, "weight_g": "0"}]).splitlines(keepends=True)
    text = lines[0] + "\r\n" + lines[1] + ",,,\r\n" + lines[2]

    report = parse("catalog.csv", text.encode("utf-8"))

    assert report.rows == 2
    assert errors_of(report) == [(5, "weight_g", "weight_g must be between 1 and 1000000")]


def test_good_xlsx_accepts_numeric_cells_including_whole_floats_and_grouped_text():
    row = [WOK_BLACK[name] for name in COLUMNS]
    row[COLUMNS.index("weight_g")] = 1800.0
    row[COLUMNS.index("length_mm")] = 330
    row[COLUMNS.index("moq")] = "1,000"
    row[COLUMNS.index("barcode")] = 4006381333931
    row[COLUMNS.index("supply_price_cny")] = 12.5

    report = parse("catalog.xlsx", xlsx_bytes([row]))

    assert report.errors == []
    assert (report.file_format, report.encoding, report.rows) == ("xlsx", None, 1)
    [sku] = report.products[0].skus
    assert (sku.weight_g, sku.length_mm, sku.moq) == (1800, 330, 1000)
    assert (sku.barcode, sku.supply_price) == ("4006381333931", "12.5")
    assert report.products[0].title_zh == "不锈钢炒锅"


def test_xlsx_float_price_with_three_decimals_is_refused_by_the_sku_rules():
    row = [WOK_BLACK[name] for name in COLUMNS]
    row[COLUMNS.index("supply_price_cny")] = 12.345

    report = parse("catalog.xlsx", xlsx_bytes([row]))

    assert errors_of(report) == [
        (2, "supply_price_cny", "CNY allows at most 2 decimal places, got 12.345")
    ]


def test_xlsx_fractional_number_in_an_integer_column_is_not_a_whole_number():
    row = [WOK_BLACK[name] for name in COLUMNS]
    row[COLUMNS.index("height_mm")] = 12.5

    report = parse("catalog.xlsx", xlsx_bytes([row]))

    assert errors_of(report) == [(2, "height_mm", "height_mm must be a whole number, got '12.5'")]


def test_xlsx_reads_only_the_first_worksheet():
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx_bytes([[WOK_BLACK[n] for n in COLUMNS]])))
    workbook.create_sheet("notes").append(["not", "a", "catalog"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    report = parse("catalog.xlsx", buffer.getvalue())

    assert report.errors == []
    assert len(report.products) == 1


def test_csv_and_xlsx_templates_round_trip_without_errors():
    from_csv = parse("template.csv", template_csv())
    from_xlsx = parse("template.xlsx", template_xlsx())

    assert template_csv().startswith(b"\xef\xbb\xbf")
    assert from_csv.summary() == "1 row, 1 product, 1 SKU, no errors"
    assert from_xlsx.summary() == "1 row, 1 product, 1 SKU, no errors"
    assert from_csv.products == from_xlsx.products
    assert from_csv.products[0].skus[0].supply_price == "12.50"


# --- whole-file problems ----------------------------------------------------------------


def test_truncated_xlsx_is_a_file_error_and_imports_nothing():
    content = xlsx_bytes([[WOK_BLACK[name] for name in COLUMNS]])

    report = parse("catalog.xlsx", content[: len(content) // 2])

    assert report.products == []
    assert report.errors == [
        RowError(0, "file", "the file is not a valid XLSX workbook (truncated or corrupt)")
    ]
    assert report.summary() == (
        "the file is not a valid XLSX workbook (truncated or corrupt); nothing was imported"
    )


def test_xlsx_whose_worksheet_xml_is_cut_off_is_a_file_error():
    original = zipfile.ZipFile(io.BytesIO(xlsx_bytes([[WOK_BLACK[n] for n in COLUMNS]])))
    damaged = io.BytesIO()
    with zipfile.ZipFile(damaged, "w") as archive:
        for info in original.infolist():
            data = original.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            archive.writestr(info, data)

    report = parse("catalog.xlsx", damaged.getvalue())

    assert errors_of(report) == [
        (0, "file", "the file is not a valid XLSX workbook (truncated or corrupt)")
    ]


def test_csv_text_named_xlsx_is_not_a_valid_workbook():
    report = parse("catalog.xlsx", csv_text(GOOD_ROWS).encode("utf-8"))

    assert errors_of(report) == [
        (0, "file", "the file is not a valid XLSX workbook (truncated or corrupt)")
    ]


def test_bytes_that_are_neither_utf8_nor_gb18030_are_a_file_error_naming_the_offset():
    report = parse("catalog.csv", b"product_ref\n\xff\xfe\x00\x81\x30garbage")

    assert report.products == []
    assert errors_of(report) == [
        (
            0,
            "file",
            "the file is neither UTF-8 text (undecodable byte at offset 12) "
            "nor GBK/GB18030 text (undecodable byte at offset 12); save it as CSV UTF-8",
        )
    ]


@pytest.mark.parametrize(
    ("filename", "message"),
    [
        ("catalog.xls", "files ending in '.xls' cannot be imported; upload a .csv or .xlsx file"),
        ("catalog", "the file name 'catalog' has no extension; upload a .csv or .xlsx file"),
    ],
)
def test_a_file_that_is_not_csv_or_xlsx_by_name_is_refused(filename, message):
    report = parse(filename, csv_text(GOOD_ROWS).encode("utf-8"))

    assert errors_of(report) == [(0, "file", message)]


def test_missing_required_columns_are_listed_in_template_order():
    columns = [name for name in COLUMNS if name not in ("weight_g", "category")]

    report = parse("catalog.csv", csv_text(GOOD_ROWS, columns=columns).encode("utf-8"))

    assert report.products == []
    assert errors_of(report) == [(0, "file", "missing required columns 'category', 'weight_g'")]


def test_unknown_columns_are_listed():
    columns = [*COLUMNS, "colour", "price_usd"]

    report = parse("catalog.csv", csv_text(GOOD_ROWS, columns=columns).encode("utf-8"))

    assert errors_of(report) == [
        (0, "file", "unknown columns 'colour', 'price_usd'; use the template's column names")
    ]


def test_a_column_given_twice_in_the_header_is_a_file_error():
    columns = [*COLUMNS, "SKU_code"]

    report = parse("catalog.csv", csv_text(GOOD_ROWS, columns=columns).encode("utf-8"))

    assert errors_of(report) == [
        (0, "file", "columns 'sku_code' appear more than once in the header")
    ]


def test_an_old_xls_workbook_renamed_to_xlsx_is_named_as_such():
    report = parse("catalog.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))

    assert errors_of(report) == [
        (
            0,
            "file",
            "the file is an old Excel 97-2003 workbook (.xls); save it as .xlsx or CSV UTF-8",
        )
    ]


def test_more_rows_than_max_rows_is_a_file_error():
    rows = [{**WOK_BLACK, "sku_code": f"WOK-{n}"} for n in range(4)]

    report = parse("catalog.csv", csv_text(rows).encode("utf-8"), max_rows=3)

    assert report.products == []
    assert errors_of(report) == [
        (0, "file", "the file has more than 3 data rows; split it into smaller files")
    ]


def test_a_header_without_data_rows_is_a_file_error():
    report = parse("catalog.csv", csv_text([]).encode("utf-8"))

    assert errors_of(report) == [(0, "file", "the file has a header row but no data rows")]


# --- malformed CSV ----------------------------------------------------------------------


def test_unterminated_quote_is_a_row_error_on_the_row_where_it_opens():
    lines = csv_text(GOOD_ROWS).splitlines(keepends=True)
    broken = lines[4].replace(",0,3000", ',0,"3000')
    text = "".join(lines[:4]) + broken

    report = parse("catalog.csv", text.encode("utf-8"))

    assert report.ok is False
    assert errors_of(report) == [
        (
            5,
            "file",
            "a quoted value is never closed (unterminated quote), "
            "so the rest of the file could not be read",
        )
    ]


def test_text_after_a_closing_quote_is_a_row_error_and_later_rows_are_still_read():
    lines = csv_text(GOOD_ROWS).splitlines(keepends=True)
    broken = lines[2].replace("WOK-32-RED", '"WOK-32"RED')
    text = lines[0] + lines[1] + broken + lines[3] + lines[4]

    report = parse("catalog.csv", text.encode("utf-8"))

    assert errors_of(report) == [
        (3, "file", 'a quoted value has text after its closing quote (write a quote inside as "")')
    ]
    assert [len(product.skus) for product in report.products] == [1, 2]


def test_a_row_with_more_cells_than_the_header_is_a_row_error():
    lines = csv_text(GOOD_ROWS).splitlines(keepends=True)
    text = lines[0] + lines[1] + lines[2].rstrip("\r\n") + ",surprise\r\n" + lines[3]

    report = parse("catalog.csv", text.encode("utf-8"))

    assert errors_of(report) == [(3, "file", "the row has 23 cells but the header has 22 columns")]
    assert report.rows == 3


def test_a_truncated_csv_whose_last_row_has_too_few_cells_is_a_row_error():
    content = csv_text(GOOD_ROWS).encode("utf-8")

    report = parse("catalog.csv", content[:-40])

    assert errors_of(report) == [
        (5, "file", "the row has 14 cells but the header has 22 columns (the file looks truncated)")
    ]


# --- row-level validation ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("-1", "supply_price_cny must be greater than zero"),
        ("0", "supply_price_cny must be greater than zero"),
        ("12.345", "CNY allows at most 2 decimal places, got 12.345"),
        ("abc", "'abc' is not a number"),
        (
            "12,50",
            "supply_price_cny '12,50' has a decimal comma; write it with a point, e.g. 12.50",
        ),
        ("", "supply_price_cny is required"),
    ],
)
def test_bad_supply_price_is_reported_on_its_cell(price, message):
    report = parse_rows([{**WOK_BLACK, "supply_price_cny": price}])

    assert errors_of(report) == [(2, "supply_price_cny", message)]


def test_bad_barcode_check_digit_is_reported():
    report = parse_rows([{**WOK_BLACK, "barcode": "4006381333932"}])

    assert errors_of(report) == [
        (2, "barcode", "'4006381333932' is not a valid EAN-13/UPC/EAN-8 (check digit)")
    ]


def test_unknown_category_is_reported_on_the_products_first_row():
    report = parse_rows([{**WOK_BLACK, "category": "garden.tools"}, WOK_RED])

    assert errors_of(report) == [(2, "category", "unknown category 'garden.tools'")]


def test_unknown_market_in_target_markets_is_reported():
    report = parse_rows([{**WOK_BLACK, "target_markets": "US;XX;de"}])

    assert errors_of(report) == [(2, "target_markets", "unknown market 'XX'")]


def test_product_level_value_that_differs_on_a_later_row_is_a_conflict():
    rows = [WOK_BLACK, {**WOK_RED, "category": "apparel.women", "title_en": "Stainless steel wok"}]

    report = parse_rows(rows)

    assert errors_of(report) == [
        (
            3,
            "category",
            "category 'apparel.women' differs from row 2 of the same product ('home.kitchen')",
        )
    ]


def test_target_markets_in_another_order_on_a_later_row_is_no_conflict():
    report = parse_rows([WOK_BLACK, {**WOK_RED, "target_markets": "DE;US"}])

    assert report.errors == []


def test_a_sku_code_repeated_anywhere_in_the_file_is_reported_on_the_later_row():
    report = parse_rows([WOK_BLACK, WOK_RED, {**TEE_M, "sku_code": "WOK-32-BLK"}])

    assert errors_of(report) == [(4, "sku_code", "sku_code 'WOK-32-BLK' is already used on row 2")]


def test_a_sku_code_repeated_within_one_product_is_reported_once():
    report = parse_rows([WOK_BLACK, {**WOK_RED, "sku_code": "WOK-32-BLK"}])

    assert errors_of(report) == [(3, "sku_code", "sku_code 'WOK-32-BLK' is already used on row 2")]


@pytest.mark.parametrize("value", ["1.5", "abc", "1,5"])
def test_integer_column_given_a_non_whole_number_is_refused(value):
    report = parse_rows([{**WOK_BLACK, "moq": value}])

    assert errors_of(report) == [(2, "moq", f"moq must be a whole number, got {value!r}")]


def test_integer_columns_accept_thousands_separators():
    report = parse_rows([{**WOK_BLACK, "daily_capacity": "12,000", "moq": "1,000"}])

    assert report.errors == []
    assert (report.products[0].skus[0].daily_capacity, report.products[0].skus[0].moq) == (
        12000,
        1000,
    )


def test_sku_errors_are_mapped_to_the_row_of_that_sku():
    report = parse_rows([WOK_BLACK, {**WOK_RED, "weight_g": "-5", "origin_country": "XX"}])

    assert errors_of(report) == [
        (3, "weight_g", "weight_g must be between 1 and 1000000"),
        (3, "origin_country", "unknown ISO 3166 country 'XX'"),
    ]


def test_product_errors_are_mapped_to_the_first_row_of_the_product():
    report = parse_rows([{**WOK_BLACK, "title_zh": "", "title_en": "x" * 301}, WOK_RED])

    assert errors_of(report) == [
        (2, "title_zh", "title_zh is required"),
        (2, "title_en", "title_en must be at most 300 characters"),
    ]


def test_bad_options_and_attributes_are_reported():
    report = parse_rows([{**WOK_BLACK, "options": "red", "attributes": "material=steel;=32"}])

    assert errors_of(report) == [
        (
            2,
            "attributes",
            "attributes must be name=value pairs separated by ';' "
            "(e.g. colour=red;size=M), got '=32'",
        ),
        (
            2,
            "options",
            "options must be name=value pairs separated by ';' (e.g. colour=red;size=M), got 'red'",
        ),
    ]


def test_blank_required_cells_are_each_reported():
    report = parse_rows(
        [{**WOK_BLACK, "sku_code": "", "weight_g": " "}, {**WOK_RED, "product_ref": ""}]
    )

    assert errors_of(report) == [
        (2, "sku_code", "sku_code is required"),
        (2, "weight_g", "weight_g is required"),
        (3, "product_ref", "product_ref is required"),
        (3, "category", "category is required"),
        (3, "title_zh", "title_zh is required"),
        (3, "title_en", "title_en is required"),
    ]


def test_one_bad_row_of_three_fails_the_whole_import():
    rows = [WOK_BLACK, WOK_RED, {**TEE_M, "supply_price_cny": "0"}]

    report = parse_rows(rows)

    assert report.ok is False
    assert report.rows == 3
    assert [product.ref for product in report.products] == ["P-100", "P-200"]
    assert report.summary() == "1 of 3 rows has errors; nothing was imported"


def test_every_error_in_the_file_is_listed_not_just_the_first():
    rows = [
        {**WOK_BLACK, "barcode": "123"},
        {**WOK_RED, "moq": "many"},
        {**TEE_M, "origin_country": "ZZ"},
        {**TEE_L, "supply_price_cny": "-3"},
    ]

    report = parse_rows(rows)

    assert [(error.row, error.field) for error in report.errors] == [
        (2, "barcode"),
        (3, "moq"),
        (4, "origin_country"),
        (5, "supply_price_cny"),
    ]
    assert report.summary() == "4 of 4 rows have errors; nothing was imported"
