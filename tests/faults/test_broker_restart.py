"""A broker restart loses nothing: in-flight work finishes and new work is accepted after it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from infra.kafka.launcher import LocalBroker
from tests.integration.stack import running_stack

pytestmark = pytest.mark.integration


async def test_executions_survive_a_broker_restart(tmp_path: Path) -> None:
    broker = LocalBroker(tmp_path / "kafka")
    await asyncio.to_thread(broker.start)
    try:
        async with running_stack(broker.bootstrap_servers, tmp_path, step_delay_s=1.0) as stack:
            before = await stack.trigger("pl_document_summarizer", {"query": "Survive. A restart."})
            await asyncio.to_thread(broker.stop)
            await asyncio.to_thread(broker.start)  # same data dir, same port

            after = await _trigger_when_accepted(stack)
            finals = [await stack.wait_terminal(e["executionId"], timeout=90) for e in (before, after)]
        assert [f["status"] for f in finals] == ["succeeded", "succeeded"]
        assert finals[0]["sequence"] == 7, "no event lost or repeated across the restart"
    finally:
        await asyncio.to_thread(broker.stop)


async def _trigger_when_accepted(stack) -> dict:  # type: ignore[no-untyped-def]
    url = f"{stack.base_url}/pipelines/pl_no_op/trigger"
    async with asyncio.timeout(60):
        while True:
            async with stack.http.post(url, json={}, headers=stack.headers()) as resp:
                if resp.status == 201:
                    return await resp.json()
                assert resp.status == 503, await resp.text()
            await asyncio.sleep(0.5)
