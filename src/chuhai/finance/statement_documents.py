"""A supplier's settlement statement as CSV and as PDF, built from the statement alone.

Both list every line the statement took from the ledger (receipts owed, penalties deducted)
and its totals in yuan, to the fen. The PDF uses the core font Helvetica (Latin-1 only, like
the customs documents): it prints the supplier's English name and code; any other character
prints as "?". The CSV keeps every text as stored, Chinese included. PDFs are uncompressed
and dated by the run, so the same statement gives the same bytes.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from chuhai.core.money import decimal_string
from chuhai.finance.settlement import StatementView

CSV_COLUMNS = ("posted_on", "kind", "document_type", "document_id", "amount_cny", "memo")


def _yuan(fen: int) -> str:
    return decimal_string(fen, "CNY")


def statement_csv(view: StatementView) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    s = view.statement
    writer.writerow(["statement", s.id, "cycle", view.run.cycle, "supplier", view.supplier_code])
    writer.writerow(CSV_COLUMNS)
    for line in view.lines:
        writer.writerow(
            [
                line.posted_on.isoformat(),
                line.kind,
                line.document_type,
                line.document_id,
                _yuan(line.amount),
                line.memo,
            ]
        )
    writer.writerow(["", "owed", "", "", _yuan(s.owed), ""])
    writer.writerow(["", "deductions", "", "", _yuan(-s.deductions), ""])
    writer.writerow(["", "net payable", "", "", _yuan(s.net), ""])
    return out.getvalue()


def _latin(text: object) -> str:
    return str(text).encode("latin-1", errors="replace").decode("latin-1")


def statement_pdf(view: StatementView) -> bytes:
    s, run = view.statement, view.run
    pdf = FPDF()
    pdf.set_compression(False)
    pdf.set_creation_date(datetime.combine(run.ends_on, datetime.min.time(), tzinfo=UTC))
    pdf.add_page()
    pdf.set_font("helvetica", "B", 16)
    pdf.cell(0, 9, "Supplier settlement statement", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("helvetica", "", 10)
    for label, value in (
        ("Statement", s.id),
        ("Cycle", f"{run.cycle} ({run.starts_on} to {run.ends_on})"),
        ("Supplier", f"{view.supplier_code} {view.supplier_name}"),
        ("Run state", run.state),
        ("Payout", _payout_text(view)),
    ):
        pdf.cell(0, 6, _latin(f"{label}: {value}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.set_font("helvetica", "", 8)
    with pdf.table(col_widths=(22, 18, 30, 50, 25), text_align="LEFT") as table:
        table.row(["Posted", "Kind", "Document", "Id", "CNY"])
        for line in view.lines:
            table.row(
                [
                    line.posted_on.isoformat(),
                    line.kind,
                    line.document_type,
                    _latin(line.document_id),
                    _yuan(line.amount),
                ]
            )
    pdf.ln(3)
    pdf.set_font("helvetica", "B", 11)
    for label, fen in (("Owed", s.owed), ("Deductions", -s.deductions), ("Net payable", s.net)):
        pdf.cell(0, 6, f"{label}: CNY {_yuan(fen)}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _payout_text(view: StatementView) -> str:
    payout = view.payout
    if payout is None:
        return "not sent"
    reference = payout.bank_reference or "-"
    return f"{payout.state}, CNY {_yuan(payout.amount)}, bank reference {reference}"
