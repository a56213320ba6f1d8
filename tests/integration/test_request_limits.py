"""Slow, malformed and oversized requests get a bounded, JSON answer; revoking a key ends its streams;
every registry a tenant grows has a bound."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.gateway.registry_limits import MAX_PIPELINES_PER_TENANT
from tests.integration.stack import ADMIN_KEY, Stack, running_stack

QUICK = {"idle_timeout_s": 1.0, "body_timeout_s": 1.0, "max_body_bytes": 1024 * 1024}


@pytest.fixture
async def quick(kafka_servers: str, tmp_path: Path) -> AsyncIterator[Stack]:
    async with running_stack(kafka_servers, tmp_path, gateway_overrides=QUICK) as stack:
        yield stack


async def raw_exchange(stack: Stack, data: bytes, then_wait_s: float = 5.0) -> bytes:
    """Send bytes as they are and read until the server closes the connection."""
    settings = stack.gateway_settings
    reader, writer = await asyncio.open_connection(settings.host, settings.port)
    try:
        writer.write(data)
        await writer.drain()
        async with asyncio.timeout(then_wait_s):
            return await reader.read()
    finally:
        writer.close()


def json_body(response: bytes) -> dict:
    head, _, body = response.partition(b"\r\n\r\n")
    assert b"application/json" in head.lower(), head
    return json.loads(body)


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /pipelines HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n",
        b"NOT-HTTP AT ALL\r\n\r\n",
        b"GET /pipelines HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n",
    ],
)
async def test_requests_the_parser_refuses_are_answered_in_json(quick: Stack, request_bytes: bytes) -> None:
    response = await raw_exchange(quick, request_bytes)
    assert response.split(b" ")[1].startswith(b"4"), response[:100]
    body = json_body(response)
    assert body["error"] and body["message"]


async def test_a_slow_partial_request_is_dropped(quick: Stack) -> None:
    loop = asyncio.get_running_loop()
    began = loop.time()
    response = await raw_exchange(quick, b"GET /pipelines HTTP/1.1\r\nHost: x\r\n", then_wait_s=10)
    assert response == b"" and loop.time() - began < 5, "closed within the idle timeout, not held open"


async def test_a_slow_body_is_a_408(quick: Stack) -> None:
    head = (
        b"POST /pipelines/pl_no_op/trigger HTTP/1.1\r\nHost: x\r\n"
        + f"Authorization: Bearer {quick.headers()['Authorization'].split()[1]}\r\n".encode()
        + b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
    )
    response = await raw_exchange(quick, head, then_wait_s=10)
    assert response.split(b" ")[1] == b"408", response[:100]
    assert json_body(response)["error"] == "RequestTimeout"


async def test_a_client_gone_mid_upload_leaves_no_traceback(quick: Stack, caplog: pytest.LogCaptureFixture) -> None:
    head = (
        b"POST /files HTTP/1.1\r\nHost: x\r\n"
        + f"Authorization: {quick.headers()['Authorization']}\r\n".encode()
        + b"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n"
        + b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhello'
    )
    settings = quick.gateway_settings
    with caplog.at_level(logging.INFO):
        _, writer = await asyncio.open_connection(settings.host, settings.port)
        writer.write(head)
        await writer.drain()
        await asyncio.sleep(0.3)
        writer.close()
        await asyncio.sleep(1.0)
    tracebacks = [r for r in caplog.records if r.exc_info and r.name.startswith("services.gateway")]
    assert tracebacks == []
    async with quick.http.get(f"{quick.base_url}/pipelines", headers=quick.headers()) as resp:
        assert resp.status == 200, "the gateway carries on"


async def test_revoking_a_key_ends_the_streams_it_opened(stack: Stack) -> None:
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    async with stack.http.post(f"{stack.base_url}/admin/tenants", json={"name": "Revoked"}, headers=admin) as resp:
        tenant = await resp.json()
    key, key_id = tenant["apiKey"]["key"], tenant["apiKey"]["keyId"]
    created = await stack.trigger("pl_code_agent", {"query": "take your time"}, key=key)
    url = f"{stack.base_url}/pipeline-executions/{created['executionId']}/stream"

    async def read_stream() -> list[bytes]:
        lines = []
        async with stack.http.get(url, headers={"Authorization": f"Bearer {key}"}) as resp:
            assert resp.status == 200
            async for line in resp.content:
                lines.append(line)
        return lines

    streaming = asyncio.create_task(read_stream())
    await asyncio.sleep(0.3)
    async with stack.http.delete(f"{stack.base_url}/admin/keys/{key_id}", headers=admin) as resp:
        assert resp.status == 204
    lines = await asyncio.wait_for(streaming, timeout=5)
    assert b"event: stream-complete\n" not in lines, "ended by the revocation, not by the execution finishing"


async def test_a_tenants_pipelines_are_bounded_in_number_and_size(quick: Stack) -> None:
    pipeline = {"name": "p", "handlerType": "no_op"}
    huge = {**pipeline, "configuration": {"blob": "x" * 100_000}}
    status, body = await quick.post("/pipelines", huge)
    assert (status, body["error"]) == (413, "ContextTooLarge"), body
    answers = await asyncio.gather(*(quick.post("/pipelines", pipeline) for _ in range(MAX_PIPELINES_PER_TENANT)))
    assert {status for status, _ in answers} == {201}
    status, body = await quick.post("/pipelines", pipeline)
    assert (status, body["error"]) == (422, "LimitReached"), body
