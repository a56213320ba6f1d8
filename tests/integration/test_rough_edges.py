"""Rough edges a new user hit: blank inputs, pipelines that could never run, archiving, promoting
twice, the /v1 client reading errors, and a browser app on another origin."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.stack import OTHER_KEY, Stack, running_stack
from tests.seeds import v1_polling

ORIGIN = "https://app.example"


async def test_a_blank_query_is_refused_at_trigger(stack: Stack) -> None:
    for blank in ("", "   "):
        status, body = await stack.post("/pipelines/pl_document_summarizer/trigger",
                                        {"input": {"dataInputs": {"query": blank}}})  # fmt: skip
        assert (status, body["error"]) == (422, "InputValidationFailed"), body
        assert {d["field"] for d in body["details"]} == {"input.dataInputs.query"}


async def test_a_pipeline_that_could_never_run_is_refused(stack: Stack) -> None:
    status, body = await stack.post("/pipelines", {"name": "Typo", "handlerType": "no_opp"})
    assert (status, body["details"][0]["field"]) == (422, "handlerType"), body
    assert "no_op" in body["details"][0]["problem"], "names the types there are"
    status, body = await stack.post("/pipelines", {"name": "Empty agent", "handlerType": "code_agent_language_model"})
    assert (status, body["details"][0]["field"]) == (422, "configuration.steps"), body


async def test_an_archived_pipeline_takes_no_triggers_and_keeps_its_history(stack: Stack) -> None:
    status, pipeline = await stack.post("/pipelines", {"name": "Old", "handlerType": "no_op"})
    assert status == 201
    pipeline_id = pipeline["pipelineId"]
    before = await stack.trigger(pipeline_id)
    await stack.wait_terminal(before["executionId"])

    async def delete(path: str, key: str | None = None) -> int:
        headers = stack.headers(key) if key else stack.headers()
        async with stack.http.delete(stack.base_url + path, headers=headers) as resp:
            return resp.status

    assert await delete(f"/pipelines/{pipeline_id}", OTHER_KEY) == 404, "another tenant's looks like none"
    assert await delete(f"/pipelines/{pipeline_id}") == 204
    assert await delete(f"/pipelines/{pipeline_id}") == 204, "archiving twice is harmless"
    assert await delete("/pipelines/pl_no_op") == 409, "the shared catalog stays"
    async with stack.http.get(f"{stack.base_url}/pipelines", headers=stack.headers()) as resp:
        assert pipeline_id not in [p["pipelineId"] for p in (await resp.json())["data"]]
    async with stack.http.get(f"{stack.base_url}/pipelines/{pipeline_id}", headers=stack.headers()) as resp:
        assert (resp.status, resp.headers.get("Pipeline-Archived")) == (200, "true")
    status, body = await stack.post(f"/pipelines/{pipeline_id}/trigger", {})
    assert (status, body["error"]) == (409, "PipelineArchived"), body
    assert (await stack.get(before["executionId"]))[1]["pipelineName"] == "Old", "its history stays readable"


async def test_promoting_twice_gives_back_the_same_example(stack: Stack) -> None:
    created = await stack.trigger("pl_no_op")
    await stack.wait_terminal(created["executionId"])
    body = {"newExampleSet": {"name": "Golden"}, "exampleName": "first", "rationale": "good"}
    path = f"/pipeline-executions/{created['executionId']}/promote-to-example"
    first_status, first = await stack.post(path, body)
    again_status, again = await stack.post(path, body)
    assert (first_status, again_status) == (201, 200)
    assert again["exampleId"] == first["exampleId"] and again["exampleSetId"] == first["exampleSetId"]
    into_set = {**body, "newExampleSet": None, "existingExampleSetId": first["exampleSetId"]}
    assert (await stack.post(path, {k: v for k, v in into_set.items() if v is not None}))[0] == 200
    async with stack.http.get(f"{stack.base_url}/example-sets/{first['exampleSetId']}", headers=stack.headers()) as r:
        assert len((await r.json())["examples"]) == 1


async def test_the_reference_v1_client_reads_an_error_as_a_failure_with_its_message(stack: Stack) -> None:
    async with stack.http.get(f"{stack.base_url}/v1/status/arn:unknown", headers=stack.headers()) as resp:
        status, body = resp.status, await resp.json()
    assert status == 404 and body["data"]["status"] == "FAILED" and body["error"] == "NotFound"
    v1_polling.BASE_URL = stack.base_url
    key = stack.headers()["Authorization"].removeprefix("Bearer ")
    with pytest.raises(Exception, match="NotFound") as raised:
        await asyncio.to_thread(v1_polling.wait_for_result, "arn:unknown", key)
    assert not isinstance(raised.value, KeyError)


@pytest.fixture
async def cors_stack(kafka_servers: str, tmp_path: Path) -> AsyncIterator[Stack]:
    overrides = {"cors_allowed_origins": frozenset({ORIGIN})}
    async with running_stack(kafka_servers, tmp_path, gateway_overrides=overrides) as stack:
        yield stack


async def test_a_configured_origin_may_call_the_api_and_no_other(cors_stack: Stack) -> None:
    preflight = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "Authorization, Content-Type"}  # fmt: skip
    url = f"{cors_stack.base_url}/pipelines/pl_no_op/trigger"
    async with cors_stack.http.options(url, headers=preflight) as resp:
        assert resp.status == 204 and resp.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert "Authorization" in resp.headers["Access-Control-Allow-Headers"]
    async with cors_stack.http.post(url, json={}, headers={**cors_stack.headers(), "Origin": ORIGIN}) as resp:
        assert resp.status == 201 and resp.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert "Idempotency-Key" in resp.headers["Access-Control-Expose-Headers"]
    other = {**cors_stack.headers(), "Origin": "https://elsewhere.example"}
    async with cors_stack.http.get(f"{cors_stack.base_url}/pipelines", headers=other) as resp:
        assert resp.status == 200 and "Access-Control-Allow-Origin" not in resp.headers


async def test_the_summarizers_own_citations_resolve_as_the_reference_flow_does(stack: Stack) -> None:
    query = "Revenue grew fifteen percent. Customers doubled in the west."
    created = await stack.trigger("pl_document_summarizer", {"query": query})
    final = await stack.wait_terminal(created["executionId"])
    citations = [c for cited in final["outputCitations"] for c in cited["citations"]]
    assert citations and {c["type"] for c in citations} == {"input_character_range"}
    status, body = await stack.post(
        "/citations/resolve", {"executionId": created["executionId"], "citations": citations}
    )
    assert status == 200, body
    assert [r["citedText"] for r in body["data"]] == [query[c["charStart"] : c["charEnd"]] for c in citations]
    status, body = await stack.post("/citations/resolve", {"citations": citations})
    assert (status, body["error"]) == (422, "InputValidationFailed"), "which execution's input, it must say"
    other = {"executionId": created["executionId"], "citations": citations}
    assert (await stack.post("/citations/resolve", other, key=OTHER_KEY))[0] == 404
