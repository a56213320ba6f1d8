"""Which sentences may become key points: whole, readable ones, each once.

A key point is quoted to a reader as a statement of the document, so a sentence
qualifies only when it is complete (capital start, full stop), long enough to say
something, and prose rather than markup or a row of figures. A sentence the
document repeats almost word for word on many pages is a template ("This
section describes ..."), not a point it makes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.handler.plugins.summarize.layout import Span
from services.handler.plugins.summarize.terms import content_terms, count_words

MIN_WORDS = 6
MAX_CHARS = 600
"""Longer "sentences" are runs of extracted text that no sentence end was found in."""
MIN_LETTER_SHARE = 0.6
STARTS_WELL = re.compile(r"[\"'\u201c\u2018(]?[A-Z0-9$\u00a3\u20ac]")
ENDS_WELL = re.compile(r"[.!][\"'\u201d\u2019)\]]*$")
MARKUP = re.compile(r"[<>{}=|\\`_^~]|\s[*#]|\.\.\.\.|\u2026\s*\d")
"""Tags, code, emphasis marks and table-of-contents leaders: none of them occur in a quotable sentence."""
DANGLING = re.compile(
    r"(?:First|Second|Third|Finally|However|Also|But|And|Or|So|Then|Thus|Hence|This|That|These|Those|It|Its|They|"
    r"Their|He|She|Such|Moreover|Furthermore|Meanwhile|Instead|Otherwise|Here|There)\b"
)
"""Openings that lean on the sentence before: "First, ...", "This means ...", "However, ..."."""
NEAR_DUPLICATE = 0.5
"""Jaccard similarity of two sentences' terms from which on they are one sentence with its blanks filled."""
TEMPLATE_COPIES = 3


@dataclass(frozen=True)
class Candidate:
    span: Span
    text: str
    """The sentence with its line breaks and runs of spaces made single spaces."""
    terms: frozenset[str]
    position: int
    """Its rank in document order among the candidates."""
    paragraph: int
    """The number of the prose block it is in: its neighbours there continue what it says."""
    dangling: bool
    """It opens by leaning on what came before, so it reads badly on its own."""
    copies: int
    """How many times the text has it verbatim."""


Placed = tuple[Span, int]
"""A sentence's range and the number of its paragraph."""


def is_quotable(sentence: str, min_words: int = MIN_WORDS) -> bool:
    if len(sentence) > MAX_CHARS or not STARTS_WELL.match(sentence) or not ENDS_WELL.search(sentence):
        return False
    if MARKUP.search(sentence) or count_words(sentence) < min_words:
        return False
    visible = [c for c in sentence if not c.isspace()]
    return sum(c.isalpha() for c in visible) >= MIN_LETTER_SHARE * len(visible)


def candidates(text: str, sentences: list[Placed], min_words: int = MIN_WORDS) -> list[Candidate]:
    """The quotable ones among `sentences`, each text once, at its first place."""
    first_of: dict[str, tuple[Placed, str]] = {}
    copies: dict[str, int] = {}
    for placed in sentences:
        span = placed[0]
        sentence = " ".join(text[span.start : span.end].split())
        if not is_quotable(sentence, min_words):
            continue
        key = sentence.lower()
        first_of.setdefault(key, (placed, sentence))
        copies[key] = copies.get(key, 0) + 1
    return [
        Candidate(
            span,
            sentence,
            frozenset(content_terms(sentence)),
            position,
            paragraph,
            _dangles(sentence),
            copies[sentence.lower()],
        )
        for position, ((span, paragraph), sentence) in enumerate(first_of.values())
    ]


def without_templates(found: list[Candidate]) -> list[Candidate]:
    """`found` less the sentences that occur, verbatim or with other blanks filled, TEMPLATE_COPIES
    times or more; all of `found` when that leaves none (a text that only repeats itself)."""
    totals = [c.copies for c in found]
    for i, a in enumerate(found):
        for j in range(i + 1, len(found)):
            if jaccard(a.terms, found[j].terms) >= NEAR_DUPLICATE:
                totals[i] += found[j].copies
                totals[j] += a.copies
    kept = [c for c, total in zip(found, totals, strict=True) if total < TEMPLATE_COPIES]
    return kept or found


def _dangles(sentence: str) -> bool:
    return DANGLING.match(sentence.lstrip("\"'\u201c\u2018(")) is not None


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    shared = len(a & b)
    union = len(a) + len(b) - shared
    return shared / union if union else 1.0
