"""A broker outage longer than the handler's retry budget: every execution still finishes once.

The handler gives up on a write after `publish_attempts`; its state is then ahead of the log.
It must stop, let the consumer group hand the partition out again, and resume from the log,
never leaving a gap in an execution's sequence nor writing a number twice with different content.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from infra.kafka.launcher import LocalBroker
from projections.batch import fold_batch
from services.handler.app import create_app as create_handler
from tests.integration.stack import Stack, running_gateway, stack_settings
from tests.integration.test_recovery import read_whole_log

pytestmark = pytest.mark.integration

SEND_TIMEOUT_S = 2.0
PUBLISH_ATTEMPTS = 2
RETRY_BUDGET_S = 2 * SEND_TIMEOUT_S + 2.0  # two sends and the pause between them
OUTAGE_S = RETRY_BUDGET_S + 8.0
EXECUTIONS = 6


@pytest.mark.timeout(150)
async def test_executions_outlive_an_outage_longer_than_the_retry_budget(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    began = time.monotonic()
    broker = LocalBroker(tmp_path / "kafka")
    await asyncio.to_thread(broker.start)
    try:
        gateway, handler = stack_settings(
            broker.bootstrap_servers, tmp_path, step_delay_s=1.0, publish_attempts=PUBLISH_ATTEMPTS
        )
        handler = replace(handler, kafka=replace(handler.kafka, send_timeout_s=SEND_TIMEOUT_S))
        base_url = f"http://{gateway.host}:{gateway.port}"
        async with create_handler(handler), running_gateway(gateway), aiohttp.ClientSession() as http:
            stack = Stack(base_url, http, gateway, handler)
            ids = [
                (await stack.trigger("pl_document_summarizer", {"query": f"Outage {n}. Then finish."}))["executionId"]
                for n in range(EXECUTIONS)
            ]
            await _until_all_running(stack, ids)

            outage_began = time.time()
            await asyncio.to_thread(broker.stop)
            await asyncio.sleep(OUTAGE_S)
            outage_ended = time.time()
            await asyncio.to_thread(broker.start)  # same data dir, same port

            finals = [await stack.wait_terminal(execution_id, timeout=60) for execution_id in ids]
        log = await read_whole_log(handler.kafka)
    finally:
        await asyncio.to_thread(broker.stop)

    assert [final["status"] for final in finals] == ["succeeded"] * EXECUTIONS
    folded = fold_batch({}, log)
    assert folded.rejected == [], "no reader rejects any event: no gap, no event after a terminal one"
    numbered: dict[str, dict[int, set[bytes]]] = defaultdict(lambda: defaultdict(set))
    for item in log:
        if item.event.sequence is not None:
            numbered[item.event.subject][item.event.sequence].add(item.value)
    for execution_id in ids:
        sequences = numbered[execution_id]
        assert sorted(sequences) == list(range(1, max(sequences) + 1)), f"{execution_id}: contiguous"
        assert all(len(contents) == 1 for contents in sequences.values()), "a number repeated only as a resend"
        mine = [e.event for e in log if e.event.subject == execution_id]
        assert len({e.id for e in mine if e.type == "execution.completed.v1"}) == 1, f"{execution_id}: one terminal"

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and outage_began <= r.created <= outage_ended]
    per_cause = Counter((r.name, str(r.msg)) for r in errors)
    # Once per cause; a lost partition is told once per partition (4), whatever else repeats.
    assert max(per_cause.values()) <= handler.kafka.partitions, per_cause.most_common(3)
    assert len(errors) < 50, f"not hundreds a second: {len(errors)} in {OUTAGE_S:g} s"
    assert time.monotonic() - began < 90


async def _until_all_running(stack: Stack, ids: list[str]) -> None:
    async with asyncio.timeout(30):
        while True:
            statuses = [(await stack.get(execution_id))[1]["status"] for execution_id in ids]
            if all(status == "running" for status in statuses):
                return
            await asyncio.sleep(0.05)
