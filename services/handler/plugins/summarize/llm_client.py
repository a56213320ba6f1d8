"""A summary from an OpenAI-compatible chat completions API, cited against the input.

The model is asked for JSON with a summary and key points that quote the input;
each quote found verbatim in the input becomes a character-range citation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import aiohttp

from services.handler.plugins.summarize.extractive import KeyPoint, Summary

PROMPT = (
    "Summarize the user's text. Answer with JSON only: "
    '{"summary": "<two sentences>", "keyPoints": [{"text": "<a key point>", "quote": "<the exact words of the '
    'text it rests on>"}]} with at most 3 key points.'
)


@dataclass(frozen=True)
class LlmSettings:
    base_url: str
    model: str = "gpt-4o-mini"
    api_key: str | None = None
    timeout_s: float = 60.0


class LlmFailed(Exception):
    pass


async def summarize_with_llm(text: str, settings: LlmSettings, focus: str | None = None) -> Summary:
    """`focus`: a question the summary should answer; quotes are still looked up in `text` only."""
    content = text if focus is None else f"Question: {focus}\n\nDocuments:\n{text}"
    body = {"model": settings.model, "messages": [{"role": "system", "content": PROMPT},
                                                  {"role": "user", "content": content}]}  # fmt: skip
    headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
    url = settings.base_url.rstrip("/") + "/chat/completions"
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=settings.timeout_s)) as http,
            http.post(url, json=body, headers=headers) as resp,
        ):
            if resp.status != 200:
                raise LlmFailed(_reference_error(resp.status, await resp.text()))
            content = (await resp.json())["choices"][0]["message"]["content"]
    except (aiohttp.ClientError, TimeoutError, KeyError, IndexError, ValueError) as error:
        raise LlmFailed(f"language model unreachable or malformed answer: {error!r}") from error
    return _cited(text, content)


def _reference_error(status: int, body: str) -> str:
    """An API error in the reference document's words, when it is one of them.

    OpenAI-compatible APIs say "out of credits" as 429 `insufficient_quota` (or 402),
    and "input too long" as 400 `context_length_exceeded`.
    """
    try:
        error = json.loads(body).get("error") or {}
        code = str(error.get("code") or error.get("type") or "") if isinstance(error, dict) else ""
    except (ValueError, AttributeError):
        code = ""
    if status == 402 or code == "insufficient_quota":
        return "Insufficient credits"
    if status == 429:
        return "Rate limit exceeded"
    if code == "context_length_exceeded":
        return "Context too large"
    return f"language model answered HTTP {status}"


def _cited(text: str, content: str) -> Summary:
    try:
        answer = json.loads(content)
        points = answer["keyPoints"]
        summary = str(answer["summary"])
    except (ValueError, KeyError, TypeError) as error:
        raise LlmFailed("language model did not answer with the requested JSON") from error
    cited = []
    for point in points:
        quote = str(point.get("quote", "")) if isinstance(point, dict) else ""
        start = text.find(quote) if quote else -1
        text_of_point = str(point.get("text", quote)) if isinstance(point, dict) else str(point)
        if start >= 0:
            cited.append(KeyPoint(text_of_point, start, start + len(quote)))
        else:
            cited.append(KeyPoint(text_of_point, -1, -1))  # not found verbatim: kept, uncited
    return Summary(summary=summary, key_points=cited)
