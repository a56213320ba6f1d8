"""Text out of an uploaded file, with where each page begins in it."""

from __future__ import annotations

import io
from dataclasses import dataclass

from contracts.files import MediaType

PAGE_SEPARATOR = "\n\n"
"""Between pages' texts, so no sentence runs across a page break."""


@dataclass(frozen=True)
class Extraction:
    text: str
    page_starts: list[int]


class ExtractionFailed(Exception):
    """The file cannot be read as what it claims to be; the message says why."""


def media_type_of(content: bytes, declared: str | None) -> MediaType:
    """What the bytes are, trusting them over the declared type (clients often send octet-stream)."""
    if content.lstrip()[:5] == b"%PDF-":
        return "application/pdf"
    if declared == "application/pdf":
        raise ExtractionFailed("declared application/pdf, but the content does not start with %PDF-")
    return "text/plain"


def extract_plain_text(content: bytes) -> Extraction:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ExtractionFailed(f"text files must be UTF-8 (invalid byte at position {error.start})") from None
    if "\x00" in text:
        raise ExtractionFailed("this looks like a binary file; upload plain UTF-8 text or a PDF")
    return Extraction(text, [0])


def extract_pdf(content: bytes) -> Extraction:
    from pypdf import PdfReader  # imported in the extraction process only
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted:
            raise ExtractionFailed("the PDF is encrypted; upload it without a password")
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise ExtractionFailed(f"not a readable PDF: {error}") from error
    return joined_pages(pages)


def joined_pages(pages: list[str]) -> Extraction:
    starts, offset = [], 0
    for text in pages:
        starts.append(offset)
        offset += len(text) + len(PAGE_SEPARATOR)
    return Extraction(PAGE_SEPARATOR.join(pages), starts or [0])
