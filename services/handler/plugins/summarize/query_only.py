"""Summarizing `dataInputs.query` itself, when no file is given: a question alone is no document.

The README's first example sends only "What are the key trends in Q4 sales?". Its
"summary" would be the question again, which reads as an answer and is none; the
honest output says there is nothing to summarize and how to give a document. A
query that holds text (statements, with or without a question) is summarized, its
questions steering the choice of key points.
"""

from __future__ import annotations

from services.handler.plugins.summarize.extractive import KeyPoint, Summary, summarize
from services.handler.plugins.summarize.layout import Span
from services.handler.plugins.summarize.sentences import sentence_spans

SURELY_TEXT_CHARS = 2_000
"""A query this long is a text to summarize, whatever its sentences are."""
QUOTED_CHARS = 160
HOW_TO = (
    "Name files in input.files to summarize them (the query then steers the summary), "
    "or send the text itself as dataInputs.query."
)


def summarize_query(query: str) -> Summary:
    if len(query) > SURELY_TEXT_CHARS:
        return summarize(query)
    sentences = sentence_spans(query, Span(0, len(query)))
    questions = [s for s in sentences if query[s.start : s.end].rstrip().endswith("?")]
    if len(sentences) > 1 and len(questions) < len(sentences):
        focus = " ".join(query[s.start : s.end] for s in questions)
        summary = summarize(query, focus=focus or None)
        if summary.key_points:
            return summary
    return _nothing_to_summarize(query, sentences, questions)


def _nothing_to_summarize(query: str, sentences: list[Span], questions: list[Span]) -> Summary:
    """Says why; the key points are still the input's sentences, cited, so they can be checked."""
    quoted = " ".join(query.split())
    quoted = quoted if len(quoted) <= QUOTED_CHARS else quoted[: QUOTED_CHARS - 1].rstrip() + "\u2026"
    summary = f'Nothing to summarize: the input is {_what(sentences, questions)} ("{quoted}"), not a document. {HOW_TO}'
    spans = sentences or [_stripped(query)]
    return Summary(summary, [KeyPoint(" ".join(query[s.start : s.end].split()), s.start, s.end) for s in spans])


def _what(sentences: list[Span], questions: list[Span]) -> str:
    if questions and len(questions) == len(sentences):
        return "a question" if len(questions) == 1 else "questions"
    return "one sentence" if len(sentences) == 1 else "text without a complete sentence"


def _stripped(query: str) -> Span:
    start = len(query) - len(query.lstrip())
    return Span(start, len(query.rstrip()))
