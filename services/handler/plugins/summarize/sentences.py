"""Sentences of prose blocks, each with its exact range of the text, found by syntok.

syntok knows that "6.1 percent", "$3.2 billion", "U.S." and "e.g." end no sentence
and that a line break inside a paragraph is a space. It is given one block at a
time, and a long block in pieces, so its cost grows with what is segmented, not
with how the text is laid out.
"""

from __future__ import annotations

import re

from syntok import segmenter  # type: ignore[import-untyped]

from services.handler.plugins.summarize.layout import Span

MAX_PIECE_CHARS = 4_000
"""A block longer than this (a text file's one-line paragraph) is segmented in pieces of about this size."""
SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)\]]*\s+")
ABBREVIATED_BEFORE_NUMBER = frozenset(
    [
        "no",
        "nos",
        "sec",
        "secs",
        "fig",
        "figs",
        "tab",
        "vol",
        "p",
        "pp",
        "ch",
        "art",
        "eq",
        "approx",
        "ca",
        "vs",
        "op",
        "para",
        "ref",
        "rev",
        "v",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
    ]
)
"""Abbreviations that syntok takes for a sentence's end when a number follows ("approx. 5.9 percent")."""
LAST_WORD = re.compile(r"([A-Za-z]+)\.$")


def pieces(text: str, block: Span) -> list[Span]:
    """`block` cut at sentence ends into pieces of at most about MAX_PIECE_CHARS."""
    found, start = [], block.start
    while block.end - start > MAX_PIECE_CHARS:
        window_start = start + MAX_PIECE_CHARS // 2
        ends = [m.end() for m in SENTENCE_END.finditer(text, window_start, start + MAX_PIECE_CHARS)]
        cut = ends[-1] if ends else _last_space(text, window_start, start + MAX_PIECE_CHARS)
        found.append(Span(start, cut))
        start = cut
    found.append(Span(start, block.end))
    return found


def _last_space(text: str, start: int, end: int) -> int:
    """Where to cut a run with no sentence end: after its last whitespace, else anywhere."""
    at = max(text.rfind(" ", start, end), text.rfind("\n", start, end))
    return at + 1 if at >= start else end


def sentence_spans(text: str, piece: Span) -> list[Span]:
    """The sentences of `text[piece.start:piece.end]`, as ranges of `text`, in order."""
    spans = []
    for paragraph in segmenter.analyze(text[piece.start : piece.end]):
        for tokens in paragraph:
            first, last = tokens[0], tokens[-1]
            spans.append(Span(piece.start + first.offset, piece.start + last.offset + len(last.value)))
    return _rejoined(text, [span for span in spans if span.end > span.start])


def _rejoined(text: str, spans: list[Span]) -> list[Span]:
    """Sentences split after an abbreviation put back together: no sentence starts in lower case,
    and "approx." or "No." before a number ends none."""
    joined: list[Span] = []
    for span in spans:
        if joined and _continues(text, joined[-1], span):
            joined[-1] = Span(joined[-1].start, span.end)
        else:
            joined.append(span)
    return joined


def _continues(text: str, previous: Span, span: Span) -> bool:
    first = text[span.start]
    before = text[previous.start : previous.end]
    if first.islower():
        return not before.endswith(("!", "?"))
    word = LAST_WORD.search(before)
    return first.isdigit() and word is not None and word.group(1).lower() in ABBREVIATED_BEFORE_NUMBER
