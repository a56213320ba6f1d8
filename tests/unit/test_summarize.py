"""Summaries whose key points cite exact ranges of the input, locally or through an LLM API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from services.handler.plugins.summarize.extractive import summarize
from services.handler.plugins.summarize.llm_client import LlmFailed, LlmSettings, summarize_with_llm
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
