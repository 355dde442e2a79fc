"""The shipping label: a 4 × 6 inch PDF (the thermal printers' size) with the carrier and
service, the sender (the warehouse), the recipient, the weight, the contents and the
tracking number as a Code 39 barcode a scanner reads.

Like the customs documents it uses the PDF core font Helvetica (no font files to ship),
which covers Latin-1: addresses in other scripts print "?" for those characters, so a
label for an address written in Chinese or Japanese needs a Unicode font first (a gap, see
the issue note). The PDF is uncompressed and dated by the shipment, so the same shipment
gives the same bytes.
"""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from chuhai.fulfillment.model import Shipment

WIDTH_MM, HEIGHT_MM = 101.6, 152.4
MARGIN_MM = 5.0
MAX_CONTENT_LINES = 8  # the rest is on the packing slip; the label has no room


def _latin(text: object) -> str:
    return str(text).encode("latin-1", errors="replace").decode("latin-1")


def code39_width(text: str, wide_mm: float) -> float:
    """How wide fpdf2 draws `text` (asterisks included): each character is three wide bars
    and six narrow ones, plus a narrow gap; a narrow bar is a third of a wide one."""
    return len(text) * 16 * wide_mm / 3


# where the postal code goes: after the city and region (US style), on its own line (UK),
# or before the city (most of Europe, the default)
_CITY_REGION_POSTCODE = frozenset({"US", "CA", "AU"})
_POSTCODE_OWN_LINE = frozenset({"GB"})


def _locality_lines(address: dict[str, str]) -> list[str]:
    city, region = address.get("city", ""), address.get("region", "")
    postal, country = address.get("postal_code", ""), address.get("country_code", "")
    if country in _CITY_REGION_POSTCODE:
        return [" ".join(part for part in (city, region, postal) if part)]
    if country in _POSTCODE_OWN_LINE:
        return [city, region, postal]
    return [" ".join(part for part in (postal, city) if part), region]


def _address_lines(address: dict[str, str]) -> list[str]:
    lines = [
        address.get("name", ""),
        address.get("line1", ""),
        address.get("line2", ""),
        *_locality_lines(address),
        address.get("country_code", ""),
    ]
    if address.get("phone"):
        lines.append(f"Tel. {address['phone']}")
    return [line for line in lines if line]


def label_pdf(
    shipment: Shipment,
    tracking_number: str,
    carrier_name: str,
    service_name: str,
    transit_days: int | None,
) -> bytes:
    pdf = FPDF(orientation="portrait", unit="mm", format=(WIDTH_MM, HEIGHT_MM))
    pdf.set_compression(False)
    pdf.set_creation_date(shipment.created_at)
    pdf.set_title(tracking_number)
    pdf.set_subject(f"{carrier_name} {service_name} label")
    pdf.set_creator("chuhai")
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    _heading(pdf, carrier_name, service_name, transit_days)
    _block(
        pdf,
        "FROM",
        [shipment.origin.name, f"{shipment.origin.city}, {shipment.origin.country_code}"],
    )
    _block(pdf, "SHIP TO", _address_lines(shipment.ship_to), size=11)
    _barcode(pdf, tracking_number)
    _particulars(pdf, shipment)
    return bytes(pdf.output())


def _heading(pdf: FPDF, carrier_name: str, service_name: str, transit_days: int | None) -> None:
    pdf.set_font("helvetica", "B", 16)
    pdf.cell(0, 8, _latin(carrier_name), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("helvetica", "", 10)
    days = f" - {transit_days} days" if transit_days else ""
    pdf.cell(0, 5, _latin(f"{service_name}{days}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _rule(pdf)


def _rule(pdf: FPDF) -> None:
    pdf.ln(1.5)
    pdf.line(MARGIN_MM, pdf.get_y(), WIDTH_MM - MARGIN_MM, pdf.get_y())
    pdf.ln(1.5)


def _block(pdf: FPDF, title: str, lines: list[str], size: int = 9) -> None:
    pdf.set_font("helvetica", "B", 7)
    pdf.cell(0, 4, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("helvetica", "B" if size > 9 else "", size)
    for line in lines:
        pdf.multi_cell(0, size * 0.45, _latin(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _rule(pdf)


def _barcode(pdf: FPDF, tracking_number: str) -> None:
    text = f"*{tracking_number}*"
    usable = WIDTH_MM - 2 * MARGIN_MM
    wide = min(1.2, usable * 3 / (16 * len(text)))
    x = MARGIN_MM + (usable - code39_width(text, wide)) / 2
    y = pdf.get_y() + 1
    pdf.set_fill_color(0)
    pdf.code39(text, x, y, w=wide, h=22)
    pdf.set_y(y + 23)
    pdf.set_font("helvetica", "B", 12)
    pdf.cell(0, 6, tracking_number, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _rule(pdf)


def _particulars(pdf: FPDF, shipment: Shipment) -> None:
    pdf.set_font("helvetica", "", 8)
    rows = [
        f"Weight: {shipment.weight_g / 1000:.3f} kg",
        f"Shipment: {shipment.id}",
    ]
    if shipment.order_ref:
        rows.append(f"Order: {shipment.order_ref}")
    shown = shipment.items[:MAX_CONTENT_LINES]
    contents = ", ".join(f"{units} x {code}" for code, units in shown)
    if len(shipment.items) > len(shown):
        contents += f" and {len(shipment.items) - len(shown)} more line(s)"
    rows.append(f"Contents: {contents}")
    for row in rows:
        pdf.multi_cell(0, 3.6, _latin(row), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
