"""`Idempotency-Key` on every create: a retry gets the same execution, a misuse is refused."""

from __future__ import annotations

import asyncio

from tests.integration.stack import OTHER_KEY, Stack

QUERY = {"input": {"dataInputs": {"query": "Once. Only once."}}}


async def post(stack: Stack, path: str, body: dict, key: str | None, api_key: str | None = None) -> tuple[int, dict]:
    headers = stack.headers(api_key) if api_key else stack.headers()
    if key is not None:
        headers["Idempotency-Key"] = key
    async with stack.http.post(stack.base_url + path, json=body, headers=headers) as resp:
        return resp.status, await resp.json()


async def test_a_retried_trigger_returns_the_same_execution(stack: Stack) -> None:
    path = "/pipelines/pl_document_summarizer/trigger"
    first_status, first = await post(stack, path, QUERY, "order-42")
    again_status, again = await post(stack, path, QUERY, "order-42")
    assert (first_status, again_status) == (201, 200)
    assert again["executionId"] == first["executionId"]
    async with stack.http.get(f"{stack.base_url}/pipeline-executions", headers=stack.headers()) as resp:
        assert (await resp.json())["total"] == 1


async def test_concurrent_retries_create_one_execution(stack: Stack) -> None:
    path = "/pipelines/pl_no_op/trigger"
    results = await asyncio.gather(*(post(stack, path, {}, "burst-1") for _ in range(8)))
    assert len({body["executionId"] for _, body in results}) == 1
    assert sorted(status for status, _ in results) == [200] * 7 + [201]


async def test_the_same_key_with_another_body_is_refused(stack: Stack) -> None:
    await post(stack, "/pipelines/pl_document_summarizer/trigger", QUERY, "k-1")
    other = {"input": {"dataInputs": {"query": "Something else"}}}
    status, body = await post(stack, "/pipelines/pl_document_summarizer/trigger", other, "k-1")
    assert (status, body["error"]) == (422, "IdempotencyKeyReused")
    status, body = await post(stack, "/pipelines/pl_no_op/trigger", {}, "k-1")
    assert (status, body["error"]) == (422, "IdempotencyKeyReused"), "another pipeline is another request"


async def test_keys_belong_to_their_tenant(stack: Stack) -> None:
    _, mine = await post(stack, "/pipelines/pl_no_op/trigger", {}, "shared-name")
    status, theirs = await post(stack, "/pipelines/pl_no_op/trigger", {}, "shared-name", api_key=OTHER_KEY)
    assert status == 201 and theirs["executionId"] != mine["executionId"]


async def test_v1_generate_honours_the_key_too(stack: Stack) -> None:
    body = {"input": "Beacon to 45.77.12.9 seen. T1071.", "inputType": "text"}
    (s1, first), (s2, again) = [await post(stack, "/v1/generate", body, "gen-1") for _ in range(2)]
    assert (s1, s2) == (202, 202)
    assert first["data"]["executionArn"] == again["data"]["executionArn"]
    status, _ = await post(stack, "/v1/generate", body, "x" * 256)
    assert status == 400
