"""Bounding the work on a long document, by choosing cheaply where to look closely.

Segmenting sentences costs about a second per 250 KB and ranking grows with the
square of the sentences ranked, so a 4 MB extraction cannot be read closely in
full. Pieces of prose are first scored by counting words (linear and fast): what
the query asks about, and the words the whole document keeps using. Only the best
pieces, up to a character budget, are segmented; only the best sentences, up to a
count, are ranked. Text repeated verbatim is looked at once.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from services.handler.plugins.summarize.candidates import Candidate
from services.handler.plugins.summarize.layout import Span
from services.handler.plugins.summarize.terms import distinct_terms

SEGMENT_BUDGET_CHARS = 150_000
MAX_RANKED = 150
OPENING_PIECES = 2
"""A document's opening states its subject: its first pieces are always read."""


def affordable(text: str, pieces: list[Span], focus: frozenset[str]) -> list[Span]:
    """The pieces worth segmenting, in document order, at most SEGMENT_BUDGET_CHARS of them."""
    unique = _first_copies(text, pieces)
    if sum(p.end - p.start for p in unique) <= SEGMENT_BUDGET_CHARS:
        return unique
    terms = [distinct_terms(text[p.start : p.end]) for p in unique]
    scores = scored(terms, Counter(t for piece in terms for t in piece), focus)
    order = list(range(min(OPENING_PIECES, len(unique)))) + sorted(range(len(unique)), key=lambda i: -scores[i])
    chosen: set[int] = set()
    spent = 0
    for index in order:
        size = unique[index].end - unique[index].start
        if index not in chosen and spent + size <= SEGMENT_BUDGET_CHARS:
            chosen.add(index)
            spent += size
    return [unique[i] for i in sorted(chosen)]


def shortlist(found: list[Candidate], focus: frozenset[str]) -> list[Candidate]:
    """At most MAX_RANKED candidates, in document order, the likeliest key points kept."""
    if len(found) <= MAX_RANKED:
        return found
    frequency = Counter(t for candidate in found for t in candidate.terms)
    scores = scored([set(c.terms) for c in found], frequency, focus)
    best = sorted(range(len(found)), key=lambda i: (-scores[i], i))[:MAX_RANKED]
    return [found[i] for i in sorted(best)]


def scored(term_sets: Sequence[set[str]], frequency: Counter[str], focus: frozenset[str]) -> list[float]:
    """Per item: how many of the query's terms it holds (first), then how typical of the whole its
    words are (the mean log-frequency of its terms, between 0 and 1)."""
    top = math.log1p(max(frequency.values(), default=1))
    scores = []
    for terms in term_sets:
        typical = sum(math.log1p(frequency[t]) for t in terms) / (len(terms) or 1) / top
        scores.append(len(focus & terms) + typical)
    return scores


def _first_copies(text: str, pieces: list[Span]) -> list[Span]:
    seen: set[str] = set()
    unique = []
    for piece in pieces:
        key = text[piece.start : piece.end]
        if key not in seen:
            seen.add(key)
            unique.append(piece)
    return unique
