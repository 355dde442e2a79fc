"""Carton labels for a stock-up order's delivery: one 100 × 150 mm label (the common 4 × 6 in
thermal label) per carton, with the carton's barcode drawn as a real Code 39 barcode that the
consolidation warehouse scans at the dock.

Pure: the labels are built from what the order says (no I/O). The PDF uses the core font
Helvetica (Latin-1), so the label prints the supplier's English name; any other character
prints as "?". It is uncompressed and dated by the order, so one order's labels are the same
bytes each time they are printed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos

WIDTH_MM, HEIGHT_MM = 100, 150
MARGIN_MM = 6
BAR_WIDE_MM = 0.9  # Code 39 wide bar; the narrow one is a third of it
BAR_HEIGHT_MM = 22
CODE39 = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%")


@dataclass(frozen=True)
class CartonLabel:
    order_id: str
    sequence: int
    cartons: int
    supplier: str
    sku_code: str
    units: int
    warehouse: str
    barcode: str
    due: str


def _latin(text: object) -> str:
    return str(text).encode("latin-1", errors="replace").decode("latin-1")


def code39_width(text: str) -> float:
    """Millimetres the barcode of `text` takes, start and stop characters included: each
    character is 3 wide and 6 narrow elements plus a narrow gap."""
    narrow = BAR_WIDE_MM / 3
    return (len(text) + 2) * (3 * BAR_WIDE_MM + 7 * narrow)


def carton_labels_pdf(labels: list[CartonLabel], printed: datetime) -> bytes:
    if not labels:
        raise ValueError("no cartons to label")
    pdf = FPDF(orientation="portrait", unit="mm", format=(WIDTH_MM, HEIGHT_MM))
    pdf.set_compression(False)
    pdf.set_creation_date(printed)
    pdf.set_title(f"Carton labels {labels[0].order_id}")
    pdf.set_creator("chuhai")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    for label in labels:
        _draw(pdf, label)
    return bytes(pdf.output())


def _line(pdf: FPDF, size: float, text: str, bold: bool = False, height: float = 6) -> None:
    pdf.set_font("helvetica", "B" if bold else "", size)
    pdf.multi_cell(0, height, _latin(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _draw(pdf: FPDF, label: CartonLabel) -> None:
    if not set(label.barcode) <= CODE39:
        raise ValueError(f"{label.barcode!r} cannot be written in Code 39")
    pdf.add_page()
    _line(pdf, 9, "STOCK-UP DELIVERY")
    _line(pdf, 11, f"Order {label.order_id}", bold=True)
    pdf.ln(1)
    _line(pdf, 26, f"Carton {label.sequence} / {label.cartons}", bold=True, height=12)
    pdf.ln(2)
    _line(pdf, 9, "SKU")
    _line(pdf, 16, label.sku_code, bold=True, height=8)
    _line(pdf, 14, f"{label.units} units", height=8)
    pdf.ln(2)
    _line(pdf, 9, "Supplier")
    _line(pdf, 10, label.supplier, height=5)
    pdf.ln(1)
    _line(pdf, 9, "Deliver to")
    _line(pdf, 10, label.warehouse, bold=True, height=5)
    _line(pdf, 9, f"Due {label.due}", height=5)
    top = HEIGHT_MM - MARGIN_MM - BAR_HEIGHT_MM - 8
    left = (WIDTH_MM - code39_width(label.barcode)) / 2
    pdf.code39(f"*{label.barcode}*", x=left, y=top, w=BAR_WIDE_MM, h=BAR_HEIGHT_MM)
    pdf.set_xy(MARGIN_MM, top + BAR_HEIGHT_MM + 1)
    pdf.set_font("courier", "B", 12)
    pdf.cell(0, 6, label.barcode, align="C")
