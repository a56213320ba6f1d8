"""Words as the summarizer compares them: lower-cased, stemmed, stop words left out.

Stemming (Snowball, through sumy) lets "drivers" in a question find "driver" in a
document; sumy's English stop-word list ships inside the package, so nothing is
downloaded at run time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, lru_cache

from sumy.nlp.stemmers import Stemmer  # type: ignore[import-untyped]
from sumy.utils import get_stop_words  # type: ignore[import-untyped]

WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:['\u2019-][A-Za-z0-9]+)*|\d+(?:[.,]\d+)*[A-Za-z]*")
LETTERS = re.compile(r"[A-Za-z]")
LANGUAGE = "english"
SUMMARY_WORDS = frozenset(
    [
        "summarize",
        "summarise",
        "summary",
        "summaries",
        "summarizing",
        "overview",
        "document",
        "documents",
        "doc",
        "docs",
        "text",
        "file",
        "files",
        "pdf",
        "report",
        "page",
        "pages",
        "content",
        "contents",
        "main",
        "key",
        "point",
        "points",
        "please",
        "tell",
        "give",
        "me",
        "briefly",
        "brief",
        "short",
        "describe",
        "say",
        "says",
        "said",
        "about",
        "gist",
        "tldr",
        "highlight",
        "highlights",
    ]
)
"""Words that ask for a summary rather than name a subject: "Summarize this document" focuses on nothing."""


@cache
def stop_words() -> frozenset[str]:
    return frozenset(get_stop_words(LANGUAGE))


@cache
def _stemmer() -> Callable[[str], str]:
    stem: Callable[[str], str] = Stemmer(LANGUAGE)
    return stem


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """Cached: a long document repeats its words, and Snowball is the slow part."""
    return _stemmer()(word)


def words(text: str) -> list[str]:
    """Every word and number, as written."""
    return WORD.findall(text)


def count_words(text: str) -> int:
    """Words with letters: "6.1" or "$3.2" count as no word of a sentence's length."""
    return sum(1 for word in WORD.findall(text) if LETTERS.match(word))


def content_terms(text: str) -> list[str]:
    """The stems of the words that carry meaning, in order, repeats kept."""
    stops = stop_words()
    lowered = (word.lower() for word in WORD.findall(text))
    return [stem(word) for word in lowered if word not in stops and (len(word) > 1 or word.isdigit())]


def distinct_terms(text: str) -> set[str]:
    """The stems of the words that carry meaning, each once: cheaper than `content_terms` on long text."""
    stops = stop_words()
    lowered = set(WORD.findall(text.lower()))
    return {stem(word) for word in lowered if word not in stops and (len(word) > 1 or word.isdigit())}


def query_terms(query: str | None) -> frozenset[str]:
    """What a question asks about; empty for a request for a summary of everything."""
    if not query:
        return frozenset()
    stops = stop_words()
    lowered = (word.lower() for word in WORD.findall(query))
    return frozenset(stem(word) for word in lowered if word not in stops and word not in SUMMARY_WORDS)
