"""A tenant's own pipelines: created through the API, triggered, invisible to other tenants."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.stack import OTHER_KEY, SECOND_KEY, Stack, running_stack

PIPELINE = {
    "name": "Word counter",
    "handlerType": "code_agent_language_model",
    "inputsSchema": {
        "dataInputs": [
            {"id": "text", "label": "Text", "required": True, "schema": {"type": "string", "maxLength": 1000}}
        ]
    },  # fmt: skip
    "configuration": {"steps": [{"name": "count", "code": "result = len(inputs['text'].split())"}]},
}


@pytest.fixture
async def stack(kafka_servers: str, tmp_path: Path) -> AsyncIterator[Stack]:
    """Its pipelines run Python steps a tenant wrote: allowed on both services, as the operator must."""
    allowed = {"allow_tenant_code_steps": True}
    async with running_stack(kafka_servers, tmp_path, gateway_overrides=allowed, **allowed) as running:
        yield running


async def create(stack: Stack, body: dict, key: str | None = None) -> tuple[int, dict]:
    headers = stack.headers(key) if key else stack.headers()
    async with stack.http.post(f"{stack.base_url}/pipelines", json=body, headers=headers) as resp:
        return resp.status, await resp.json()


async def test_a_tenants_pipeline_runs_for_it_and_no_one_else(stack: Stack) -> None:
    status, pipeline = await create(stack, PIPELINE)
    assert status == 201, pipeline
    pipeline_id = pipeline["pipelineId"]
    created = await stack.trigger(pipeline_id, {"text": "one two three"}, key=SECOND_KEY)  # same tenant
    final = await stack.wait_terminal(created["executionId"])
    assert (final["status"], final["output"], final["pipelineName"]) == ("succeeded", {"result": 3}, "Word counter")

    async with stack.http.get(f"{stack.base_url}/pipelines", headers=stack.headers()) as resp:
        assert pipeline_id in {p["pipelineId"] for p in (await resp.json())["data"]}
    async with stack.http.get(f"{stack.base_url}/pipelines", headers=stack.headers(OTHER_KEY)) as resp:
        assert pipeline_id not in {p["pipelineId"] for p in (await resp.json())["data"]}
    for method, path in [("GET", f"/pipelines/{pipeline_id}"), ("POST", f"/pipelines/{pipeline_id}/trigger")]:
        async with stack.http.request(method, stack.base_url + path, json={}, headers=stack.headers(OTHER_KEY)) as r:
            assert r.status == 404


async def test_a_pipeline_with_an_invalid_schema_is_refused(stack: Stack) -> None:
    bad = {**PIPELINE, "inputsSchema": {"dataInputs": [{"id": "text", "schema": {"type": "strang"}}, {"id": ""}]}}
    status, body = await create(stack, bad)
    assert (status, body["error"]) == (422, "InputValidationFailed")
    assert [d["field"] for d in body["details"]] == ["inputsSchema.dataInputs.0.schema", "inputsSchema.dataInputs.1"]
    assert (await create(stack, {**PIPELINE, "handlerType": "Not A Type"}))[0] == 422
