"""Real PDF files for tests, written with fpdf2 (a PDF writer independent of the reader we use)."""

from __future__ import annotations

from fpdf import FPDF


def make_pdf(pages: list[str]) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


QUARTERLY_REPORT = [
    "Quarterly report. This page covers the office move and the new coffee machine.",
    "Q4 sales revenue grew 15 percent year over year. Sales in the north region doubled.",
    "Hiring was flat this quarter. The team planted trees near the parking lot.",
]
