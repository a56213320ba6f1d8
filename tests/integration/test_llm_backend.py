"""With an LLM API configured, the handler summarizes through it (a small local stand-in here)."""

from __future__ import annotations

import json
from pathlib import Path

from aiohttp import web

from services.handler.plugins.summarize.llm_client import LlmSettings
from tests.integration.stack import running_stack
from tests.local_server import serving

QUERY = "Revenue grew 15% in Q4. Churn fell to 2%."


async def completions(request: web.Request) -> web.Response:
    if "OUT OF CREDITS" in (await request.json())["messages"][1]["content"]:
        refusal = {"error": {"message": "You exceeded your current quota", "code": "insufficient_quota"}}
        return web.json_response(refusal, status=429)
    answer = {"summary": "Growth, less churn.", "keyPoints": [{"text": "Churn fell", "quote": "Churn fell to 2%."}]}
    return web.json_response({"choices": [{"message": {"content": json.dumps(answer)}}]})


async def test_language_model_uses_the_configured_openai_compatible_api(kafka_servers: str, tmp_path: Path) -> None:
    app = web.Application()
    app.router.add_post("/chat/completions", completions)
    async with serving(app) as base_url:
        llm = LlmSettings(base_url, model="stand-in")
        async with running_stack(kafka_servers, tmp_path, llm=llm) as stack:
            created = await stack.trigger("pl_document_summarizer", {"query": QUERY})
            final = await stack.wait_terminal(created["executionId"])
            refused = await stack.trigger("pl_document_summarizer", {"query": "OUT OF CREDITS. Summarize anyway."})
            failed = await stack.wait_terminal(refused["executionId"])
    assert (failed["status"], failed["errorMessage"]) == ("failed", "Insufficient credits"), "the reference's error"
    assert (failed["progressPct"], failed["progressMessage"]) == (50, "Processing with language model...")
    assert final["status"] == "succeeded", final["errorMessage"]
    assert final["output"] == {"summary": "Growth, less churn.", "keyPoints": ["Churn fell"]}
    (citation,) = final["outputCitations"][0]["citations"]
    assert QUERY[citation["charStart"] : citation["charEnd"]] == "Churn fell to 2%."
    trace = final["handlerOutput"]["trace"]
    assert (trace["backend"], trace["model"], trace["inputChars"], trace["files"]) == (
        "openai-compatible", "stand-in", len(QUERY), 0)  # fmt: skip
