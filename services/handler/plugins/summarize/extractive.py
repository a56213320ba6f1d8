"""The local, deterministic summarizer: the most representative sentences, verbatim.

Sentences are scored by the frequency of their content words across the text;
the best ones, in their original order, are the key points, and each keeps its
exact character range in the input so it can be cited.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

SENTENCE = re.compile(r"[^.!?\n]+[.!?]?", re.MULTILINE)
WORD = re.compile(r"[a-zA-Z][a-zA-Z'-]+")
STOPWORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "were",
        "what",
        "which",
        "who",
        "will",
        "with",
        "we",
        "our",
        "you",
        "your",
        "they",
        "their",
        "there",
        "these",
        "those",
        "than",
        "then",
        "so",
        "if",
        "not",
        "no",
    }
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


def sentences(text: str) -> list[KeyPoint]:
    found = []
    for match in SENTENCE.finditer(text):
        stripped = match.group().strip()
        if len(WORD.findall(stripped)) >= 2:
            start = match.start() + match.group().index(stripped)
            found.append(KeyPoint(stripped, start, start + len(stripped)))
    return found


def summarize(text: str, max_points: int = 3, focus: str | None = None) -> Summary:
    """`focus`: a question; sentences sharing its words rank higher."""
    candidates = sentences(text) or [KeyPoint(text.strip(), text.index(text.strip()), len(text.rstrip()))]
    frequency = Counter(content_words(text))
    wanted = set(content_words(focus or ""))

    def score(point: KeyPoint) -> float:
        words = content_words(point.text)
        representative = sum(frequency[w] for w in words) / (len(words) or 1)
        return representative * (1 + len(wanted.intersection(words)))

    ranked = sorted(range(len(candidates)), key=lambda i: (-score(candidates[i]), i))[:max_points]
    points = [candidates[i] for i in sorted(ranked)]
    return Summary(summary=" ".join(p.text for p in points[:2]), key_points=points)


def content_words(text: str) -> list[str]:
    return [w for w in (match.lower() for match in WORD.findall(text)) if w not in STOPWORDS]
