"""Carton labels: one page per carton, the particulars printed, and a barcode that a scanner
reads back as the carton's code (decoded here from the bars the PDF draws)."""

from __future__ import annotations

import re

import pytest
from stock_helpers import order_of, shipped_order

from chuhai.core.errors import Conflict
from chuhai.inventory import stockup

# the fixtures `at`, `skus` and `stocked`
pytest_plugins = ["stock_fixtures"]

# Code 39 (ISO/IEC 16388): per character, 9 elements alternating bar/space, w = wide
CODE39 = {
    "nnnwwnwnn": "0", "wnnwnnnnw": "1", "nnwwnnnnw": "2", "wnwwnnnnn": "3", "nnnwwnnnw": "4",
    "wnnwwnnnn": "5", "nnwwwnnnn": "6", "nnnwnnwnw": "7", "wnnwnnwnn": "8", "nnwwnnwnn": "9",
    "wnnnnwnnw": "A", "nnwnnwnnw": "B", "wnwnnwnnn": "C", "nnnnwwnnw": "D", "wnnnwwnnn": "E",
    "nnwnwwnnn": "F", "nnnnnwwnw": "G", "wnnnnwwnn": "H", "nnwnnwwnn": "I", "nnnnwwwnn": "J",
    "wnnnnnnww": "K", "nnwnnnnww": "L", "wnwnnnnwn": "M", "nnnnwnnww": "N", "wnnnwnnwn": "O",
    "nnwnwnnwn": "P", "nnnnnnwww": "Q", "wnnnnnwwn": "R", "nnwnnnwwn": "S", "nnnnwnwwn": "T",
    "wwnnnnnnw": "U", "nwwnnnnnw": "V", "wwwnnnnnn": "W", "nwnnwnnnw": "X", "wwnnwnnnn": "Y",
    "nwwnwnnnn": "Z", "nwnnnnwnw": "-", "wwnnnnwnn": ".", "nwwnnnwnn": " ", "nwnnwnwnn": "*",
}  # fmt: skip
RECT = re.compile(rb"([\d.]+) ([\d.]+) ([\d.]+) (-?[\d.]+) re f")


def decode_barcodes(pdf: bytes) -> list[str]:
    """Read every page's Code 39 barcode from the filled rectangles it is drawn with."""
    found = []
    for page in pdf.split(b"/Type /Page\n")[1:] or [pdf]:
        bars = sorted(
            (float(x), float(w)) for x, _, w, h in RECT.findall(page) if abs(float(h)) > 20
        )
        if bars:
            found.append(_decode(bars))
    return found


def _decode(bars: list[tuple[float, float]]) -> str:
    widths = []  # bar, space, bar, space, …
    for (x, w), (next_x, _) in zip(bars, [*bars[1:], (None, None)], strict=True):
        widths.append(w)
        if next_x is not None:
            widths.append(round(next_x - x - w, 2))
    narrow = min(widths)
    marks = "".join("w" if width > narrow * 2 else "n" for width in widths)
    # 9 elements a character, then a narrow gap between characters
    chars = [CODE39[marks[i : i + 9]] for i in range(0, len(marks), 10)]
    text = "".join(chars)
    assert text.startswith("*") and text.endswith("*"), text
    return text.strip("*")


def test_one_label_per_carton_with_its_barcode(at, world, skus):
    order_id = shipped_order(at, world, skus, white=100, black=50)  # 3 + 1 cartons
    with at(world["supplier_a"]) as ctx:
        name, pdf = stockup.labels_pdf(ctx, order_id)
        barcodes = [c.barcode for c in stockup.cartons_of(ctx.session, order_id)]
    assert name == f"carton-labels-{order_id}.pdf"
    assert pdf.startswith(b"%PDF")
    assert pdf.count(b"/Type /Page\n") == 4
    assert decode_barcodes(pdf) == barcodes
    assert barcodes[0] == f"SU{order_id[-8:].upper()}-001"
    for text in (
        f"Order {order_id}",
        "Carton 1 / 4",
        "Carton 4 / 4",
        "MUG-350-WHT",
        "40 units",
        r"Yiwu Test 1 Co., Ltd. \(SUP-A\)",  # parentheses escaped in a PDF string
        "CN-GZ Guangzhou Baiyun consolidation",
    ):
        assert f"({text})".encode() in pdf, text


def test_the_same_order_prints_the_same_bytes(at, world, skus):
    order_id = shipped_order(at, world, skus)
    with at(world["logistics"]) as ctx:
        first = stockup.labels_pdf(ctx, order_id)[1]
    at.advance(days=1)
    with at(world["logistics"]) as ctx:
        assert stockup.labels_pdf(ctx, order_id)[1] == first


def test_no_labels_before_the_delivery_is_booked(at, world, skus):
    order_id = order_of(at, world, skus)
    with at(world["supplier_a"]) as ctx, pytest.raises(Conflict) as refused:
        stockup.labels_pdf(ctx, order_id)
    assert refused.value.extra["current_state"] == "issued"
