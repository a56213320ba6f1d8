"""Uploaded files as events on their own topic (`<events topic>.files`).

Only the extracted text travels, with where each page begins in it: that is what
pipelines read and what citations point into. The original bytes are not kept;
their sha256 says which document the text came from.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Literal

from pydantic import Field, TypeAdapter

from contracts.envelope import Envelope, Frozen

MediaType = Literal["application/pdf", "text/plain"]

MAX_EVENT_BYTES = 4 * 1024 * 1024
"""The largest encoded `FileExtracted` the gateway appends; the topic allows a little more."""
TOPIC_MAX_MESSAGE_BYTES = MAX_EVENT_BYTES + 1024 * 1024


class FileExtractedData(Frozen):
    file_id: str
    extraction_id: str = Field(description="What pipelines read and `pdf_character_range` citations name.")
    file_name: str = Field(min_length=1, max_length=255)
    media_type: MediaType
    size_bytes: int = Field(ge=0, description="Size of the uploaded file.")
    sha256: str = Field(pattern="^[0-9a-f]{64}$", description="Of the uploaded file's bytes.")
    page_starts: list[int] = Field(
        min_length=1, description="Character offset in `text` where each page begins; a text file has one page."
    )
    text: str
    created_by: str
    idempotency_key: str | None = Field(default=None, description="The client's Idempotency-Key, if it sent one.")
    request_fingerprint: str | None = Field(
        default=None, description="sha256 of the file name and content, to tell a retry from a misuse."
    )

    def page_number(self, char_offset: int) -> int:
        """The 1-based page that holds `char_offset` of the text."""
        return max(1, bisect_right(self.page_starts, char_offset))


class FileExtracted(Envelope):
    """A tenant's file, uploaded and its text extracted. Subject and key: the file id."""

    type: Literal["file.extracted.v1"] = "file.extracted.v1"
    data: FileExtractedData


FILES_ADAPTER: TypeAdapter[FileExtracted] = TypeAdapter(FileExtracted)
