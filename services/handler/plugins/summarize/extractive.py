"""The local, deterministic summarizer: the text's key sentences, verbatim, each with its exact range.

Prose is told from headers, headings, bullets and code (`layout`), cut into sentences
by syntok (`sentences`) within a bounded budget (`budget`), kept when whole and
readable, once each (`candidates`), and ranked by centrality or by how well they
answer the query (`ranking`). Key points are in document order, for reading; the
summary is the best few of them joined.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.handler.plugins.summarize.budget import affordable, shortlist
from services.handler.plugins.summarize.candidates import Candidate, Placed, candidates, without_templates
from services.handler.plugins.summarize.layout import prose_blocks
from services.handler.plugins.summarize.ranking import select
from services.handler.plugins.summarize.sentences import pieces, sentence_spans
from services.handler.plugins.summarize.terms import query_terms

MAX_POINTS = 5
MIN_POINTS = 3
SENTENCES_PER_POINT = 8
"""A longer document earns more key points: one per this many candidate sentences, within the bounds."""
NOTHING_TO_SUMMARIZE = (
    "Nothing to summarize: no complete sentence was found in the text "
    "(the pages of a scanned PDF are images, and need OCR before they have text)."
)


@dataclass(frozen=True)
class KeyPoint:
    text: str
    char_start: int
    char_end: int


@dataclass(frozen=True)
class Summary:
    summary: str
    key_points: list[KeyPoint]


def summarize(
    text: str, max_points: int = MAX_POINTS, focus: str | None = None, page_starts: list[int] | None = None
) -> Summary:
    """`focus`: a question; the key points then answer it (a request like "Summarize this document"
    asks nothing in particular). `page_starts`: where pages begin, to recognise their headers and footers."""
    wanted = query_terms(focus)
    spans = _sentence_spans(text, page_starts, wanted)
    found = candidates(text, spans) or candidates(text, spans, min_words=1)  # a short text's short sentences
    if not found:
        return Summary(NOTHING_TO_SUMMARIZE, [])
    ranked = without_templates(shortlist(found, wanted))
    count = min(max_points, max(MIN_POINTS, len(ranked) // SENTENCES_PER_POINT), len(ranked))
    return _summary(select(ranked, wanted, count))


def _sentence_spans(text: str, page_starts: list[int] | None, wanted: frozenset[str]) -> list[Placed]:
    blocks = prose_blocks(text, page_starts)
    chosen = affordable(text, [piece for block in blocks for piece in pieces(text, block)], wanted)
    return [(span, number) for number, piece in enumerate(chosen) for span in sentence_spans(text, piece)]


def _summary(picks: list[tuple[Candidate, float]]) -> Summary:
    """Key points in document order; the summary from the best picks, fewer than all of them so
    that it is shorter than the key points together."""
    in_order = sorted((candidate for candidate, _ in picks), key=lambda c: c.position)
    standalone_first = sorted(picks, key=lambda pick: (pick[0].dangling, -pick[1]))
    best = [candidate for candidate, _ in standalone_first[: _summary_length(len(picks))]]
    summary = " ".join(c.text for c in sorted(best, key=lambda c: c.position))
    return Summary(summary, [KeyPoint(c.text, c.span.start, c.span.end) for c in in_order])


def _summary_length(points: int) -> int:
    if points <= 2:
        return 1
    return 2 if points < MAX_POINTS else 3
