"""The certificate of conformance as a PDF (fpdf2): one A4 document a brand can file and check.

Core fonts only (no font files to ship); text is reduced to Latin-1, which the core fonts cover.
The document carries no signature of its own: its SHA-256 is recorded in the certificate row and
the audit log when it is issued, and `forgeline quality coc verify FILE.pdf` checks a copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from forgeline.quality.coc_content import CertificateContent

FONT = "Helvetica"
UNITS_PER_LINE = 3
LINE_MM = 3.6


def _latin1(value: object) -> str:
    return str(value).encode("latin-1", "replace").decode("latin-1")


def _number(value: float | int | None, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}g}"


class _Document(FPDF):
    def __init__(self, code: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.code = code
        self.set_auto_page_break(auto=True, margin=16)
        self.set_margins(14, 14, 14)
        self.set_creator("Forgeline")
        self.set_title(f"Certificate of conformance {code}")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=7)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, _latin1(f"{self.code} - page {self.page_no()}/{{nb}}"), align="C")


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font(FONT, "B", 11)
    pdf.cell(0, 7, _latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=8)


def _table(
    pdf: FPDF, header: Sequence[str], rows: Sequence[Sequence[object]], widths: Sequence[int]
) -> None:
    if not rows:
        pdf.set_font(FONT, "I", 8)
        pdf.cell(0, 6, "None recorded.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, size=8)
        return
    with pdf.table(
        col_widths=tuple(widths), text_align="LEFT", line_height=4.6, first_row_as_headings=True
    ) as table:
        for row in [header, *rows]:
            cells = table.row()
            for value in row:
                cells.cell(_latin1(value))


def _facts(pdf: FPDF, content: CertificateContent) -> None:
    scope = content.scope
    if "work_order" in scope:
        scope_text = f"Work order {scope['work_order']}"
    else:
        scope_text = f"{len(scope.get('units', []))} units listed in the annex"
    facts = [
        ("Certificate", content.code),
        ("Issued", f"{content.issued_at:%Y-%m-%d %H:%M} UTC by {content.issued_by}"),
        ("Manufacturer", content.site),
        ("Customer", f"{content.customer['name']} ({content.customer['code']})"),
        ("Product", f"{content.product['name']} ({content.product['code']})"),
        ("GTIN", content.product["gtin"]),
        ("Scope", scope_text),
        ("Quantity", f"{content.quantity} units"),
    ]
    for label, value in facts:
        pdf.set_font(FONT, "B", 9)
        pdf.cell(32, 5.5, _latin1(label))
        pdf.set_font(FONT, size=9)
        pdf.cell(0, 5.5, _latin1(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _characteristic_rows(items: list[dict[str, Any]]) -> list[list[object]]:
    return [
        [
            f"{c['code']} {c['name']}",
            c["unit"],
            _number(c["lsl"]),
            _number(c["target"]),
            _number(c["usl"]),
            c["n"],
            _number(c["mean"], 5),
            _number(c["range"]),
            _number(c["cpk"], 3),
            _number(c["ppk"], 3),
        ]
        for c in items
    ]


def _annex_lines(pdf: FPDF, units: list[str]) -> None:
    """The unit list, placed line by line with `text` (no wrapping to compute: a 10,000-unit
    annex in well under a second); a new page when one fills."""
    bottom = pdf.h - pdf.b_margin
    y = pdf.get_y() + LINE_MM
    for start in range(0, len(units), UNITS_PER_LINE):
        if y > bottom:
            pdf.add_page()
            y = pdf.t_margin + LINE_MM
        pdf.text(pdf.l_margin, y, _latin1("   ".join(units[start : start + UNITS_PER_LINE])))
        y += LINE_MM


def render_pdf(content: CertificateContent) -> bytes:
    """The certificate as PDF bytes."""
    pdf = _Document(content.code)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_font(FONT, "B", 16)
    pdf.cell(0, 10, "Certificate of Conformance", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _facts(pdf, content)

    _heading(pdf, "Material lots")
    _table(
        pdf,
        ["Lot", "Kind", "Supplier", "Supplier lot", "Units"],
        [[lot["code"], lot["kind"], lot["supplier"], lot["supplier_lot"], lot["units"]]
         for lot in content.lots],
        [40, 26, 50, 46, 20],
    )  # fmt: skip
    _heading(pdf, "Process batches (ion exchange, cleaning, coating)")
    _table(
        pdf,
        ["Batch", "Operation", "Station", "Bath", "Started (UTC)", "Units"],
        [
            [c["code"], c["operation"], c["station"], c["bath"] or "-", c["started_at"][:16],
             c["units"]]
            for c in content.cycles
        ],
        [38, 22, 26, 30, 46, 20],
    )  # fmt: skip
    _heading(pdf, "Critical characteristics")
    _table(
        pdf,
        ["Characteristic", "Unit", "LSL", "Target", "USL", "n", "Mean", "Range", "Cpk", "Ppk"],
        _characteristic_rows(content.characteristics),
        [50, 12, 14, 14, 14, 10, 20, 16, 16, 16],
    )
    pdf.set_font(FONT, "I", 7)
    pdf.multi_cell(
        0,
        3.8,
        "Cpk from the within-process sigma (average moving range / 1.128) of the measurements "
        "in time order; Ppk from the overall standard deviation. '-': not enough data.",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    _heading(pdf, "Sampling inspection (ISO 2859-1, single sampling, normal inspection)")
    _table(
        pdf,
        ["Subject", "Test", "Lot", "Level", "AQL", "n", "Ac/Re", "Found", "Decision"],
        [[f"{s['subject_type']} {s['subject']}", s["test"], s["lot_size"], s["level"], s["aql"],
          s["sample_size"], f"{s['accept']}/{s['reject']}", s["nonconforming"], s["decision"]]
         for s in content.sampling],
        [42, 32, 16, 12, 12, 12, 16, 14, 26],
    )  # fmt: skip
    _heading(pdf, "Declaration")
    pdf.set_font(FONT, size=9)
    pdf.multi_cell(
        0,
        5,
        _latin1(
            f"We certify that the {content.quantity} units of {content.product['code']} covered "
            "by this certificate were made and inspected to the customer's specification, that "
            "every measurement recorded for them is within its specification limits, and that "
            "every sampling inspection listed was accepted. The SHA-256 of this document is "
            "recorded in the manufacturer's tamper-evident audit log; ask for it to be verified."
        ),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.add_page()
    _heading(pdf, f"Annex: the {len(content.units)} units covered")
    pdf.set_font("Courier", size=7)
    _annex_lines(pdf, content.units)
    return bytes(pdf.output())
