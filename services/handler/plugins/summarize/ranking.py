"""Choosing the key points: central sentences, or, for a question, the ones that answer it.

Centrality is TextRank (sumy's): a sentence that shares words with many others states
what the document is about. A question's terms reweigh that: each pick must cover
what the query asks and what the picks before it have not yet covered. A sentence
saying nearly what a pick already says is skipped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence  # type: ignore[import-untyped]
from sumy.summarizers.text_rank import TextRankSummarizer  # type: ignore[import-untyped]

from services.handler.plugins.summarize.candidates import Candidate, jaccard

FOCUS_WEIGHT = 0.75
"""For a question, how much answering it counts against being central."""
REDUNDANT = 0.5
"""Jaccard similarity of terms at or above which a sentence repeats a pick."""
CONTAINED = 0.8
"""Share of a sentence's terms found in a pick at or above which it adds nothing to that pick."""
COVERED_DISCOUNT = 0.3
"""What a query term still weighs once a pick has covered it: later picks should cover the others."""
SEQUEL = 0.5
"""A sentence right after one that answers the question answers it this much, by continuing it."""
SEQUEL_DECAY = 0.7
LEAD_WEIGHT = 0.2
DANGLING_DISCOUNT = 0.7
"""A general summary's sentences are read out of their context, where "However, it ..." means little."""
EPSILON = 1e-9
"""Keeps every sentence eligible for a general summary, even one that shares no word with others."""


class _Terms:
    """sumy's tokenizer interface, answering with the terms already computed."""

    def __init__(self, candidates: Sequence[Candidate]) -> None:
        self._by_text = {c.text: sorted(c.terms) for c in candidates}

    def to_words(self, text: str) -> list[str]:
        return self._by_text.get(text, [])


def centrality(candidates: Sequence[Candidate]) -> list[float]:
    """TextRank score per candidate, scaled so the most central is 1."""
    if len(candidates) < 2:
        return [1.0] * len(candidates)
    tokenizer = _Terms(candidates)
    sentences = [Sentence(c.text, tokenizer) for c in candidates]
    ranks = TextRankSummarizer().rate_sentences(ObjectDocumentModel([Paragraph(sentences)]))
    scores = [float(ranks[s]) for s in sentences]
    top = max(scores)
    return [s / top if top > 0 else 1.0 for s in scores]


def select(candidates: Sequence[Candidate], focus: frozenset[str], count: int) -> list[tuple[Candidate, float]]:
    """Up to `count` picks with their scores, best first. For a question the text can answer, only
    sentences that answer it (or continue one that does) are picked."""
    central = centrality(candidates)
    weights = _idf(candidates, focus)
    picks: list[tuple[Candidate, float]] = []
    remaining = list(range(len(candidates)))
    while remaining and len(picks) < count:
        scores = _focused(candidates, central, weights) if weights else _general(candidates, central)
        eligible = [i for i in remaining if scores[i] > 0]
        if not eligible:
            break
        best = max(eligible, key=lambda i: (scores[i], -i))
        remaining.remove(best)
        if any(_repeats(candidates[best], pick) for pick, _ in picks):
            continue
        picks.append((candidates[best], scores[best]))
        for term in candidates[best].terms & weights.keys():
            weights[term] *= COVERED_DISCOUNT
    return picks


def _general(candidates: Sequence[Candidate], central: list[float]) -> list[float]:
    """Central sentences, earlier ones a little preferred: documents tend to open with their point."""
    last = max(len(candidates) - 1, 1)
    scores = [(1 - LEAD_WEIGHT) * c + LEAD_WEIGHT * (1 - i / last) + EPSILON for i, c in enumerate(central)]
    return [s * DANGLING_DISCOUNT if c.dangling else s for s, c in zip(scores, candidates, strict=True)]


def _focused(candidates: Sequence[Candidate], central: list[float], weights: dict[str, float]) -> list[float]:
    """How much of the question each sentence answers, by itself or as the sequel of a sentence of its
    paragraph that does ("Three drivers explain ..." goes on with "First, ..."), then centrality."""
    total = sum(weights.values())
    own = [sum(w for term, w in weights.items() if term in c.terms) / total for c in candidates]
    answers = list(own)
    for i, candidate in enumerate(candidates):
        for j in range(i + 1, len(candidates)):
            if candidates[j].paragraph != candidate.paragraph or not candidates[j].dangling:
                break  # only "First, ...", "It ..." and the like continue what came before
            answers[j] = max(answers[j], own[i] * SEQUEL * SEQUEL_DECAY ** (j - i - 1))
    return [FOCUS_WEIGHT * a + (1 - FOCUS_WEIGHT) * c if a > 0 else 0.0 for a, c in zip(answers, central, strict=True)]


def _idf(candidates: Sequence[Candidate], focus: frozenset[str]) -> dict[str, float]:
    """A weight per query term that the text holds, rarer terms weighing more (a question's
    "growth" says less than its "Aurora")."""
    total = len(candidates)
    frequency = {term: sum(1 for c in candidates if term in c.terms) for term in focus}
    return {term: 1 + math.log((1 + total) / (1 + n)) for term, n in frequency.items() if n}


def _repeats(candidate: Candidate, pick: Candidate) -> bool:
    if jaccard(candidate.terms, pick.terms) >= REDUNDANT:
        return True
    smaller = min(len(candidate.terms), len(pick.terms))
    return smaller > 0 and len(candidate.terms & pick.terms) >= CONTAINED * smaller
