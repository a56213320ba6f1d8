"""Bad requests get a 4xx with a JSON body that says what is wrong; never a 500."""

from __future__ import annotations

import pytest

from tests.integration.stack import Stack


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        ("GET", "/pipelines", {"headers": {}}, 401, "Unauthorized"),
        ("GET", "/pipelines", {"headers": {"Authorization": "Bearer nope"}}, 401, "Unauthorized"),
        ("POST", "/pipelines/pl_missing/trigger", {"json": {}}, 404, "NotFound"),
        ("POST", "/pipelines/pl_no_op/trigger", {"data": b"{not json"}, 400, "BadRequest"),
        ("POST", "/pipelines/pl_no_op/trigger", {"json": {"input": 5}}, 422, "InputValidationFailed"),
        ("POST", "/pipelines/pl_no_op/trigger", {"json": {"inputs": {}}}, 422, "InputValidationFailed"),
        (
            "POST",
            "/pipelines/pl_document_summarizer/trigger",
            {"json": {"input": {"dataInputs": {}}}},
            422,
            "InputValidationFailed",
        ),
        (
            "POST",
            "/pipelines/pl_no_op/trigger",
            {"json": {"input": {"dataInputs": {"x": "a" * 70_000}}}},
            413,
            "ContextTooLarge",
        ),
        ("GET", "/pipeline-executions/unknown", {}, 404, "NotFound"),
        ("POST", "/pipeline-executions/unknown/cancel", {}, 404, "NotFound"),
        ("GET", "/pipeline-executions/unknown/stream", {}, 404, "NotFound"),
        ("GET", "/pipeline-executions/unknown/stream?after=%C2%B2", {}, 400, "BadRequest"),
        ("GET", "/pipeline-executions/unknown/stream?after=" + "9" * 5000, {}, 400, "BadRequest"),
        ("GET", "/pipeline-executions?page=%C2%B2", {}, 400, "BadRequest"),
        ("GET", "/pipeline-executions?pageSize=0", {}, 400, "BadRequest"),
        ("GET", "/pipeline-executions?page=abc", {}, 400, "BadRequest"),
        ("GET", "/pipeline-executions?status=done", {}, 400, "BadRequest"),
        ("GET", "/no/such/route", {}, 404, "NotFound"),
        ("DELETE", "/pipelines", {}, 405, "MethodNotAllowed"),
    ],
)
async def test_bad_requests_get_json_errors(
    stack: Stack, method: str, path: str, kwargs: dict, status: int, code: str
) -> None:
    kwargs = {"headers": stack.headers(), **kwargs}
    async with stack.http.request(method, stack.base_url + path, **kwargs) as resp:
        assert resp.status == status, await resp.text()
        assert resp.content_type == "application/json"
        body = await resp.json()
    assert body["error"] == code
    assert body["message"]


async def test_invalid_fields_are_named(stack: Stack) -> None:
    url = f"{stack.base_url}/pipelines/pl_document_summarizer/trigger"
    async with stack.http.post(url, json={"input": {"dataInputs": {}}}, headers=stack.headers()) as resp:
        body = await resp.json()
    assert body["details"] == [{"field": "input.dataInputs.query", "problem": "required"}]
    bad_type = {"input": {"dataInputs": {"query": ["not", "a", "string"]}}}
    async with stack.http.post(url, json=bad_type, headers=stack.headers()) as resp:
        assert resp.status == 422
        body = await resp.json()
    assert body["message"].startswith("Input validation failed")
    assert body["details"][0]["field"] == "input.dataInputs.query"
    assert "is not of type 'string'" in body["details"][0]["problem"]


async def test_health_and_readiness_need_no_key(stack: Stack) -> None:
    async with stack.http.get(f"{stack.base_url}/healthz") as resp:
        assert resp.status == 200
    async with stack.http.get(f"{stack.base_url}/readyz") as resp:
        assert resp.status == 200
        assert (await resp.json())["checks"]["projection_caught_up"] is True
