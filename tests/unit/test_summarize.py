"""Summaries whose key points cite exact ranges of the input, locally or through an LLM API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from services.handler.plugins.summarize.corpus import Corpus, Source
from services.handler.plugins.summarize.extractive import NOTHING_TO_SUMMARIZE, summarize
from services.handler.plugins.summarize.layout import Span, prose_blocks
from services.handler.plugins.summarize.llm_client import LlmFailed, LlmSettings, summarize_with_llm
from services.handler.plugins.summarize.query_only import summarize_query
from services.handler.plugins.summarize.sentences import pieces, sentence_spans
from services.handler.plugins.summarize.terms import query_terms
from tests.local_server import serving

TEXT = (
    "Q4 sales grew 15% year over year. The weather was mild. New customer acquisition grew 22% in Q4 sales "
    "regions. Average order value increased by $45 as Q4 sales promotions ended."
)


def test_key_points_are_verbatim_sentences_with_their_exact_ranges() -> None:
    summary = summarize(TEXT)
    assert 1 <= len(summary.key_points) <= 3
    for point in summary.key_points:
        assert TEXT[point.char_start : point.char_end] == point.text
    assert "The weather was mild." not in [p.text for p in summary.key_points], "the least representative"
    assert summarize(TEXT) == summary, "deterministic"


def test_sentences_end_at_full_stops_not_at_decimals_abbreviations_or_line_breaks() -> None:
    text = (
        "Operating margin improved from 6.1 percent to 7.4 percent as revenue reached $3.2 billion in the\n"
        "U.S. market. Devices, e.g. the Aurora line, sold well. Spending was approx. 5.9 percent of revenue, and the\n"
        "No. 4 plant can switch vendors. Mr. J. Alvarez leads services."
    )
    found = [text[s.start : s.end] for s in sentence_spans(text, Span(0, len(text)))]
    assert [" ".join(s.split()) for s in found] == [
        "Operating margin improved from 6.1 percent to 7.4 percent as revenue reached $3.2 billion in the U.S. market.",
        "Devices, e.g. the Aurora line, sold well.",
        "Spending was approx. 5.9 percent of revenue, and the No. 4 plant can switch vendors.",
        "Mr. J. Alvarez leads services.",
    ]


def test_a_one_line_paragraph_of_megabytes_is_cut_at_sentence_ends() -> None:
    sentence = "Large reports repeat their findings many times over. "
    text = sentence * 1000
    cut = pieces(text, Span(0, len(text)))
    assert len(cut) > 10 and cut[0].start == 0 and cut[-1].end == len(text)
    assert all(a.end == b.start for a, b in zip(cut, cut[1:], strict=False)), "nothing lost between pieces"
    assert all(text[p.start : p.end].startswith("Large") for p in cut), "every piece starts a sentence"


def test_page_furniture_headings_bullet_markers_and_code_are_not_prose() -> None:
    pages = [
        "Acme Guide v2\n1. Overview\nThe service stores documents and indexes their text for search, which is\n"
        "what most operators need.\n\u2022 Uploads are checked against their declared media type.\n"
        "$ ingestctl status --json\nContent-Type: <MIME>/mime\nPage 1 of 3",
        "Acme Guide v2\n2. Retries\nFailed uploads are retried with backoff.\nPage 2 of 3",
        "Acme Guide v2\n3. Support\nTickets are answered within a day.\nPage 3 of 3",
    ]
    text, starts = "\n\n".join(pages), [0, len(pages[0]) + 2, len(pages[0]) + len(pages[1]) + 4]
    assert [text[b.start : b.end] for b in prose_blocks(text, starts)] == [
        "The service stores documents and indexes their text for search, which is\nwhat most operators need.",
        "Uploads are checked against their declared media type.",
        "Failed uploads are retried with backoff.",
        "Tickets are answered within a day.",
    ]


def test_a_request_for_a_summary_asks_about_nothing_but_a_question_does() -> None:
    assert query_terms("Summarize this document") == frozenset()
    assert query_terms("Please give me the key points of this report") == frozenset()
    assert query_terms("What were the revenue drivers?") == {"revenu", "driver"}


def test_a_question_steers_the_key_points_to_what_it_asks() -> None:
    text = (
        "The company opened a new office in Lisbon with room for two hundred people. Churn fell to 2 percent "
        "because support answered within an hour. The cafeteria menu now changes every week of the year. "
        "Revenue from subscriptions grew faster than revenue from hardware sales."
    )
    asked = summarize(text, focus="Why did churn fall?")
    assert [p.text for p in asked.key_points] == ["Churn fell to 2 percent because support answered within an hour."]
    general = summarize(text, focus="Summarize this document")
    assert general == summarize(text) and len(general.key_points) == 3


def test_text_without_a_sentence_says_there_is_nothing_to_summarize() -> None:
    for text in ["", "Page 1\n\n$ make run\nx = 1", "   \n"]:
        summary = summarize(text)
        assert (summary.summary, summary.key_points) == (NOTHING_TO_SUMMARIZE, [])


def test_a_lone_question_is_not_its_own_summary() -> None:
    query = "What are the key trends in Q4 sales?"
    summary = summarize_query(query)
    assert summary.summary.startswith('Nothing to summarize: the input is a question ("What are the key trends')
    assert [(p.text, p.char_start, p.char_end) for p in summary.key_points] == [(query, 0, len(query))]
    assert "one sentence" in summarize_query("Revenue grew fifteen percent.").summary


def test_a_query_of_short_statements_is_summarized_and_its_question_left_out() -> None:
    query = "What are the key trends in Q4 sales? Revenue grew. Customers doubled."
    summary = summarize_query(query)
    assert [query[p.char_start : p.char_end] for p in summary.key_points] == ["Revenue grew.", "Customers doubled."]
    assert summary.summary == "Revenue grew."


def test_the_corpus_knows_where_each_files_pages_begin() -> None:
    corpus = Corpus([Source("one\n\ntwo", extraction_id="e1", page_starts=(0, 5)), Source("three", extraction_id="e2")])
    assert corpus.page_starts == [0, 5, 10]
    assert corpus.text[10:15] == "three"


@pytest.fixture
async def fake_llm() -> AsyncIterator[tuple[str, list[dict]]]:
    seen: list[dict] = []

    async def completions(request: web.Request) -> web.Response:
        seen.append(await request.json())
        refusals = {
            "Bearer busy": ({"error": {"message": "slow down", "code": "rate_limit_exceeded"}}, 429),
            "Bearer broke": (
                {"error": {"message": "quota", "type": "insufficient_quota", "code": "insufficient_quota"}},
                429,
            ),
            "Bearer unpaid": ({"error": "payment required"}, 402),
            "Bearer long": ({"error": {"message": "too long", "code": "context_length_exceeded"}}, 400),
            "Bearer down": ("<html>bad gateway</html>", 502),
        }
        if request.headers.get("Authorization") in refusals:
            body, status = refusals[request.headers["Authorization"]]
            return web.json_response(body, status=status)
        answer = {"summary": "Sales grew.", "keyPoints": [
            {"text": "Sales up 15%", "quote": "Q4 sales grew 15% year over year."},
            {"text": "Invented", "quote": "not in the text"}]}  # fmt: skip
        return web.json_response({"choices": [{"message": {"content": json.dumps(answer)}}]})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", completions)
    async with serving(app) as base_url:
        yield f"{base_url}/v1", seen


async def test_an_openai_compatible_api_is_used_and_its_quotes_are_located(fake_llm: tuple[str, list[dict]]) -> None:
    base_url, seen = fake_llm
    summary = await summarize_with_llm(TEXT, LlmSettings(base_url, model="tiny"))
    assert seen[0]["model"] == "tiny" and seen[0]["messages"][1]["content"] == TEXT
    first, invented = summary.key_points
    assert TEXT[first.char_start : first.char_end] == "Q4 sales grew 15% year over year."
    assert (invented.char_start, invented.char_end) == (-1, -1), "a quote not in the input is not cited"


@pytest.mark.parametrize(
    ("api_key", "message"),
    [
        ("busy", "Rate limit exceeded"),
        ("broke", "Insufficient credits"),
        ("unpaid", "Insufficient credits"),
        ("long", "Context too large"),
        ("down", "language model answered HTTP 502"),
    ],
)
async def test_llm_refusals_fail_with_the_reference_errors(
    fake_llm: tuple[str, list[dict]], api_key: str, message: str
) -> None:
    base_url, _ = fake_llm
    with pytest.raises(LlmFailed, match=f"^{message}$"):
        await summarize_with_llm(TEXT, LlmSettings(base_url, api_key=api_key))
