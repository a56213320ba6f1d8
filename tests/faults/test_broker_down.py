"""With the broker gone, commands fail fast with a JSON 503: never a hang, never half-recorded."""

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
            assert (status, body["error"], retry_after) == (503, "BrokerUnavailable", "5")

            list_url = f"http://{gateway.host}:{gateway.port}/pipeline-executions"
            async with http.get(list_url, headers=headers) as resp:
                assert (await resp.json())["total"] == 1, "queries still served from the read model"
    finally:
        await asyncio.to_thread(broker.stop)
