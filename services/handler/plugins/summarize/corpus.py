"""The texts a summary is drawn from, joined into one, with each range traced back to its source.

A source is either one of the execution's own text inputs or an uploaded file's
extraction; a range of the joined text becomes a citation of the source it lies in.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from contracts.events import Citation, InputCitation

SEPARATOR = "\n\n"
"""No sentence spans it, so no key point spans two sources."""


@dataclass(frozen=True)
class Source:
    text: str
    input_pointer: str | None = None
    extraction_id: str | None = None
    page_starts: tuple[int, ...] = (0,)
    """Where each page begins in `text`: a summary tells a page's header and footer from its content."""

    def cite(self, start: int, end: int) -> Citation | InputCitation:
        if self.extraction_id is not None:
            return Citation(pdf_file_extraction_id=self.extraction_id, char_start=start, char_end=end)
        assert self.input_pointer is not None, "a source is an input or a file"
        return InputCitation(input_pointer=self.input_pointer, char_start=start, char_end=end)


@dataclass(frozen=True)
class Corpus:
    sources: list[Source]

    @property
    def text(self) -> str:
        return SEPARATOR.join(source.text for source in self.sources)

    @property
    def starts(self) -> list[int]:
        starts, offset = [], 0
        for source in self.sources:
            starts.append(offset)
            offset += len(source.text) + len(SEPARATOR)
        return starts

    @property
    def page_starts(self) -> list[int]:
        """Where each page of each source begins in `text`."""
        return [
            start + page for start, source in zip(self.starts, self.sources, strict=True) for page in source.page_starts
        ]

    def cite(self, start: int, end: int) -> Citation | InputCitation | None:
        """The citation of `text[start:end]`, or None when the range is not inside one source."""
        starts = self.starts
        index = bisect_right(starts, start) - 1
        if index < 0 or start < 0:
            return None
        local_start, local_end = start - starts[index], end - starts[index]
        if local_end > len(self.sources[index].text) or local_end < local_start:
            return None
        return self.sources[index].cite(local_start, local_end)
