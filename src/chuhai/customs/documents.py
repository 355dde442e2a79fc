"""The commercial invoice and the packing list of a declaration, as JSON and as PDF.

Both are built from the declaration alone (pure; no I/O), so they always say what was
declared: the invoice's lines and total are the declaration's, to the minor unit; the
packing list's weights are its lines' net weights and its gross weight. The invoice number
is `CI-<declaration number>`, the packing list's `PL-<declaration number>`.

PDFs use the PDF core font Helvetica (no font files to ship), which covers Latin-1: the
documents print the English particulars (the exporter's English name, the English
descriptions); any other character prints as "?". The JSON carries every text as given,
Chinese included. PDFs are uncompressed and dated by the document, so the same declaration
gives the same bytes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from chuhai.core.money import decimal_string
from chuhai.customs.declarations import MODES, TRANSPORT_MODES, Declaration, Kind

DOCUMENT_KINDS = ("commercial-invoice", "packing-list")


def invoice_number(declaration: Declaration) -> str:
    return f"CI-{declaration.number}"


def packing_list_number(declaration: Declaration) -> str:
    return f"PL-{declaration.number}"


def _seller(d: Declaration) -> dict[str, str]:
    e = d.exporter
    if e is None:
        return {}
    return {
        "name": e.name,
        "name_en": e.name_en,
        "address": e.address,
        "credit_code": e.credit_code,
        "customs_code": e.customs_code,
    }


def _consignee(d: Declaration) -> dict[str, str]:
    """Who receives the goods, as each mode knows it."""
    if d.documents is not None:
        log = d.documents.logistics
        return {
            "name": log.consignee_name,
            "address": log.address,
            "country": log.country,
            "reference": f"order {d.documents.order.order_no}, waybill {log.waybill_no}",
        }
    if d.kind == Kind.CONSOLIDATED:
        return {
            "name": f"Consumers of {len(d.parcels)} parcel(s), period {d.period}",
            "address": "",
            "country": d.destination_country,
            "reference": ", ".join(p.number for p in d.parcels),
        }
    if d.buyer is not None:
        return {
            "name": d.buyer.name,
            "address": "",
            "country": d.buyer.country,
            "reference": f"contract {d.buyer.contract_no}",
        }
    if d.overseas_warehouse is not None:
        w = d.overseas_warehouse
        return {
            "name": w.name,
            "address": "",
            "country": w.country,
            "reference": f"overseas warehouse {w.code}",
        }
    if d.bonded is not None:
        return {
            "name": f"Bonded warehouse {d.bonded.warehouse_code}"
            if d.bonded.direction == "entry"
            else "Overseas consignee",
            "address": "",
            "country": d.destination_country,
            "reference": f"bonded {d.bonded.direction}"
            + (f", entry {d.bonded.entry_number}" if d.bonded.entry_number else ""),
        }
    return {"name": "", "address": "", "country": d.destination_country, "reference": ""}


def _kg(grams: int) -> str:
    return f"{grams // 1000}.{grams % 1000:03d}"


def _header(d: Declaration, issued_on: date, reference: str | None) -> dict[str, Any]:
    return {
        "declaration_no": d.number,
        "customs_reference": reference,
        "issued_on": issued_on.isoformat(),
        "mode": d.mode,
        "mode_name": MODES[d.mode].name if d.mode in MODES else d.mode,
        "seller": _seller(d),
        "consignee": _consignee(d),
        "destination_country": d.destination_country,
        "transport_mode": d.transport_mode,
        "transport_code": TRANSPORT_MODES.get(d.transport_mode, ""),
        "port_of_exit": d.port_of_exit,
    }


def commercial_invoice(
    d: Declaration, issued_on: date, reference: str | None = None
) -> dict[str, Any]:
    """The commercial invoice as JSON: amounts are decimal strings in the declaration's
    currency, exactly the declared values."""
    return {
        "document": "commercial_invoice",
        "invoice_no": invoice_number(d),
        **_header(d, issued_on, reference),
        "currency": d.currency,
        "lines": [
            {
                "line_no": line.line_no,
                "description": line.description,
                "description_zh": line.description_zh,
                "hs_code": line.hs_code,
                "origin_country": line.origin_country,
                "quantity": line.quantity,
                "unit": line.unit,
                "unit_price": decimal_string(line.unit_price_minor, line.currency),
                "amount": decimal_string(line.value_minor, line.currency),
                "sku_id": line.sku_id,
            }
            for line in d.lines
        ],
        "total": decimal_string(d.total_value_minor, d.currency),
    }


def packing_list(d: Declaration, issued_on: date, reference: str | None = None) -> dict[str, Any]:
    """The packing list as JSON: weights in grams (and kilograms as decimal strings)."""
    return {
        "document": "packing_list",
        "packing_list_no": packing_list_number(d),
        "invoice_no": invoice_number(d),
        **_header(d, issued_on, reference),
        "packages": d.packages,
        "gross_weight_g": d.gross_weight_g,
        "gross_weight_kg": _kg(d.gross_weight_g),
        "net_weight_g": d.net_weight_g,
        "net_weight_kg": _kg(d.net_weight_g),
        "lines": [
            {
                "line_no": line.line_no,
                "description": line.description,
                "description_zh": line.description_zh,
                "hs_code": line.hs_code,
                "quantity": line.quantity,
                "unit": line.unit,
                "net_weight_g": line.net_weight_g,
                "net_weight_kg": _kg(line.net_weight_g),
            }
            for line in d.lines
        ],
    }


def document_json(
    kind: str, d: Declaration, issued_on: date, reference: str | None
) -> dict[str, Any]:
    if kind == "commercial-invoice":
        return commercial_invoice(d, issued_on, reference)
    if kind == "packing-list":
        return packing_list(d, issued_on, reference)
    raise ValueError(f"unknown document {kind!r}")


# --- PDF ----------------------------------------------------------------------------------------


def _latin(text: object) -> str:
    """What Helvetica can print: Latin-1, anything else as '?'."""
    return str(text).encode("latin-1", errors="replace").decode("latin-1")


class _Document(FPDF):
    def __init__(self, title: str, number: str, issued_on: date) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.set_compression(False)
        self.set_creation_date(datetime.combine(issued_on, time(), tzinfo=UTC))
        self.set_title(number)
        self.set_subject(title)
        self.set_creator("chuhai")
        self.set_auto_page_break(auto=True, margin=15)
        self.doc_title = title
        self.number = number
        self.add_page()

    def header(self) -> None:
        self.set_font("helvetica", "B", 16)
        self.cell(0, 9, _latin(self.doc_title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("helvetica", "", 10)
        self.cell(0, 6, _latin(f"No. {self.number}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("helvetica", "", 8)
        self.cell(0, 5, f"{_latin(self.number)} - page {self.page_no()}/{{nb}}", align="C")

    def pairs(self, rows: list[tuple[str, str]]) -> None:
        for label, value in rows:
            self.set_font("helvetica", "B", 9)
            self.cell(42, 5, _latin(label))
            self.set_font("helvetica", "", 9)
            self.multi_cell(0, 5, _latin(value) or "-", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def grid(self, head: list[str], rows: list[list[str]], widths: tuple[int, ...]) -> None:
        self.set_font("helvetica", "", 8)
        with self.table(
            col_widths=widths, text_align="LEFT", line_height=5, first_row_as_headings=True
        ) as table:
            for cells in [head, *rows]:
                row = table.row()
                for cell in cells:
                    row.cell(_latin(cell))
        self.ln(3)


def _party_rows(doc: dict[str, Any]) -> list[tuple[str, str]]:
    seller, consignee = doc["seller"], doc["consignee"]
    return [
        ("Exporter (seller)", seller.get("name_en") or seller.get("name", "")),
        ("Address", seller.get("address", "")),
        (
            "Credit code / customs",
            f"{seller.get('credit_code', '')} / {seller.get('customs_code', '')}",
        ),
        ("Consignee", consignee["name"]),
        ("Consignee address", f"{consignee['address']} {consignee['country']}".strip()),
        ("Reference", consignee["reference"]),
        ("Customs mode", f"{doc['mode']} {doc['mode_name']}"),
        ("Destination", doc["destination_country"]),
        (
            "Transport",
            f"{doc['transport_mode']} (code {doc['transport_code']}), exit {doc['port_of_exit']}",
        ),
        (
            "Declaration",
            doc["declaration_no"]
            + (f" / customs {doc['customs_reference']}" if doc["customs_reference"] else ""),
        ),
        ("Date", doc["issued_on"]),
    ]


def invoice_pdf(doc: dict[str, Any]) -> bytes:
    """The commercial invoice (from `commercial_invoice`'s JSON) as a PDF."""
    pdf = _Document("COMMERCIAL INVOICE", doc["invoice_no"], date.fromisoformat(doc["issued_on"]))
    pdf.pairs(_party_rows(doc))
    currency = doc["currency"]
    pdf.grid(
        [
            "#",
            "Description",
            "HS code",
            "Origin",
            "Qty",
            "Unit",
            f"Unit price ({currency})",
            f"Amount ({currency})",
        ],
        [
            [
                str(line["line_no"]),
                line["description"],
                line["hs_code"],
                line["origin_country"],
                str(line["quantity"]),
                line["unit"],
                line["unit_price"],
                line["amount"],
            ]
            for line in doc["lines"]
        ],
        (8, 62, 20, 13, 14, 12, 26, 25),
    )
    pdf.set_font("helvetica", "B", 11)
    pdf.cell(
        0,
        7,
        _latin(f"TOTAL {currency} {doc['total']}"),
        align="R",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    return bytes(pdf.output())


def packing_list_pdf(doc: dict[str, Any]) -> bytes:
    """The packing list (from `packing_list`'s JSON) as a PDF."""
    pdf = _Document("PACKING LIST", doc["packing_list_no"], date.fromisoformat(doc["issued_on"]))
    pdf.pairs([("Invoice", doc["invoice_no"]), *_party_rows(doc)])
    pdf.grid(
        ["#", "Description", "HS code", "Qty", "Unit", "Net weight (kg)"],
        [
            [
                str(line["line_no"]),
                line["description"],
                line["hs_code"],
                str(line["quantity"]),
                line["unit"],
                line["net_weight_kg"],
            ]
            for line in doc["lines"]
        ],
        (8, 90, 22, 18, 14, 28),
    )
    pdf.pairs(
        [
            ("Packages", str(doc["packages"])),
            ("Net weight", f"{doc['net_weight_kg']} kg"),
            ("Gross weight", f"{doc['gross_weight_kg']} kg"),
        ]
    )
    return bytes(pdf.output())


def document_pdf(kind: str, doc: dict[str, Any]) -> bytes:
    if kind == "commercial-invoice":
        return invoice_pdf(doc)
    if kind == "packing-list":
        return packing_list_pdf(doc)
    raise ValueError(f"unknown document {kind!r}")
