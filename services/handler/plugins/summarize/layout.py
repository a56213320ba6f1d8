"""Where the running prose is in extracted text, leaving out what only looks like text.

Text out of a PDF keeps the page's lines: a sentence wraps across several, while a
running header or footer, a title, a bullet marker or a line of code stands alone.
Only prose blocks (paragraphs and list items, line breaks inside them kept) are
searched for sentences, so nothing else can become a key point and no heading is
glued to the sentence under it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass

LINE = re.compile(r"[^\n]+")
BULLET = re.compile(
    r"\s*(?:[\u2022\u25e6\u25aa\u25ab\u25cf\u25cb\u25a0\u25a1\u2023\u2043\u2219\u00b7*\u2013\u2014-]|\(?\d{1,2}[.)]|\(?[a-z][)])\s+"
)
CODE = re.compile(r"[{}<>=|\\`]|\w_\w|^\s*(?:\$|>|#|//|--)\s|^\s*[A-Za-z][\w.-]*:\s*\S+\s*$")
ENDS_CLAUSE = re.compile(r"[.!?:;,][\"'\u201d\u2019)\]]*\s*$")
ENDS_SENTENCE = re.compile(r"[.!?][\"'\u201d\u2019)\]]*\s*$")
LETTER = re.compile(r"[A-Za-z]")
DIGITS = re.compile(r"\d+")
EDGE_LINES = 2
"""Headers and footers are within this many lines of a page's top or bottom."""
MIN_FURNITURE_PAGES = 3
SHORT_LINE = 0.6
"""A line shorter than this share of the text's wrap width ends its paragraph (or is a heading)."""
HEADING_MAX_WORDS = 10


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def prose_blocks(text: str, page_starts: list[int] | None = None) -> list[Span]:
    """The paragraphs and list items of `text`, in order; pages' headers and footers, headings,
    bullet markers and code-like lines are not part of any."""
    lines = [Span(m.start(), m.end()) for m in LINE.finditer(text)]
    furniture = _page_furniture(text, lines, page_starts or [0])
    width = _wrap_width(text, lines)
    blocks: list[Span] = []
    open_block: Span | None = None
    previous: Span | None = None
    for line in lines:
        bullet = BULLET.match(text, line.start, line.end)
        start = bullet.end() if bullet else line.start
        if line in furniture or not _is_prose(text[start : line.end], width):
            _close(blocks, open_block)
            open_block = previous = None
            continue
        continues = (
            open_block is not None
            and previous is not None
            and bullet is None
            and line.start - previous.end == 1  # no blank line between
            and not _ends_paragraph(text, previous, width)
        )
        if open_block is not None and continues:
            open_block = Span(open_block.start, line.end)
        else:
            _close(blocks, open_block)
            open_block = Span(start, line.end)
        previous = line
    _close(blocks, open_block)
    return blocks


def _close(blocks: list[Span], block: Span | None) -> None:
    if block is not None:
        blocks.append(block)


def _is_prose(content: str, width: int) -> bool:
    head = content[:300]  # long lines are prose; looking further would only cost time
    if not LETTER.search(head) or CODE.search(head):
        return False
    short = len(content.strip()) < SHORT_LINE * width and len(head.split()) <= HEADING_MAX_WORDS
    return not short or ENDS_CLAUSE.search(content) is not None  # else a title, a label or a table cell


def _ends_paragraph(text: str, line: Span, width: int) -> bool:
    content = text[line.start : line.end]
    return len(content.strip()) < SHORT_LINE * width and ENDS_SENTENCE.search(content) is not None


def _wrap_width(text: str, lines: list[Span]) -> int:
    """How long a full line of this text is: most lines of a wrapped paragraph are about that long."""
    lengths = sorted(line.end - line.start for line in lines if text.count(" ", line.start, line.end) >= 3)
    return lengths[int(len(lengths) * 0.9)] if lengths else 0


def _page_furniture(text: str, lines: list[Span], page_starts: list[int]) -> set[Span]:
    """Lines at a page's top or bottom that recur, digits aside, at the edges of many pages."""
    if len(page_starts) < MIN_FURNITURE_PAGES:
        return set()
    by_page: dict[int, list[Span]] = defaultdict(list)
    for line in lines:
        by_page[bisect_right(page_starts, line.start)].append(line)
    edges = [line for page in by_page.values() for line in {*page[:EDGE_LINES], *page[-EDGE_LINES:]}]
    pages_of: dict[str, set[int]] = defaultdict(set)
    for line in edges:
        pages_of[_shape(text, line)].add(bisect_right(page_starts, line.start))
    needed = max(MIN_FURNITURE_PAGES, int(0.4 * len(page_starts)))
    return {line for line in edges if len(pages_of[_shape(text, line)]) >= needed}


def _shape(text: str, line: Span) -> str:
    """A line with its numbers blanked: "Page 3 of 18" and "Page 4 of 18" are the same footer."""
    return DIGITS.sub("#", " ".join(text[line.start : line.end].split()).lower())
