"""With the broker gone, commands answer fast with a JSON 503 that says what became of them: never a hang."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from infra.kafka.launcher import LocalBroker
from tests.integration.stack import API_KEY, running_gateway, stack_settings

pytestmark = pytest.mark.integration


async def test_trigger_answers_503_while_the_broker_is_down(tmp_path: Path) -> None:
    broker = LocalBroker(tmp_path / "kafka")
    await asyncio.to_thread(broker.start)
    try:
        gateway, _ = stack_settings(broker.bootstrap_servers, tmp_path)
        gateway = replace(gateway, kafka=replace(gateway.kafka, send_timeout_s=2.0))
        url = f"http://{gateway.host}:{gateway.port}/pipelines/pl_no_op/trigger"
        headers = {"Authorization": f"Bearer {API_KEY}"}
        async with running_gateway(gateway), aiohttp.ClientSession() as http:
            async with http.post(url, json={}, headers=headers) as resp:
                assert resp.status == 201
            await asyncio.to_thread(broker.stop)

            began = time.monotonic()
            async with http.post(url, json={}, headers=headers) as resp:
                body = await resp.json()
                status, retry_after = resp.status, resp.headers.get("Retry-After")
            assert time.monotonic() - began < 10, "answered within the send deadline"
            # Sent, never confirmed: it may yet be recorded, and the answer says so, with what to retry.
            assert (status, body["error"], retry_after) == (503, "OutcomeUnknown", "5")
            assert body["executionId"] and body["idempotencyKey"]

            # Now known to be away: refused before anything is sent, and said to be so.
            began = time.monotonic()
            async with http.post(url, json={}, headers=headers) as resp:
                body = await resp.json()
                status = resp.status
            assert time.monotonic() - began < 5, "refused without waiting out a send"
            assert (status, body["error"]) == (503, "BrokerUnavailable")
            assert "nothing was recorded" in body["message"]

            async with http.get(f"http://{gateway.host}:{gateway.port}/readyz") as resp:
                ready = await resp.json()
                assert (resp.status, ready["checks"]["broker_reachable"]) == (503, False), ready

            list_url = f"http://{gateway.host}:{gateway.port}/pipeline-executions"
            async with http.get(list_url, headers=headers) as resp:
                assert (await resp.json())["total"] == 1, "queries still served from the read model"
    finally:
        await asyncio.to_thread(broker.stop)
