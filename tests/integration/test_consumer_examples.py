"""The documented downstream consumers, in Python and in Node.js, read the live topic and check every
event against the published JSON Schema: all of the services' events pass, a foreign record fails."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from pathlib import Path

from aiokafka import AIOKafkaProducer

from projections.log_reader import whole_topic
from services.kafka_io import partitions_of
from tests.integration.stack import Stack

EXAMPLES = Path(__file__).parents[2] / "contracts" / "examples"


async def run(*command: str, env: dict[str, str], cwd: Path | None = None, timeout: float = 180) -> list[str]:
    process = await asyncio.create_subprocess_exec(
        *command, env={**os.environ, **env}, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode == 0, (command, out.decode()[-2000:], err.decode()[-2000:])
    return out.decode().splitlines()


async def a_log_with_one_foreign_record(stack: Stack) -> int:
    for pipeline, inputs in [("pl_no_op", None), ("pl_document_summarizer", {"query": "Check. The contract."})]:
        created = await stack.trigger(pipeline, inputs)
        await stack.wait_terminal(created["executionId"])
    kafka = stack.gateway_settings.kafka
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(kafka.events_topic, b'{"type": "execution.created.v1", "data": {}}', key=b"x")
    finally:
        await producer.stop()
    partitions = await partitions_of(kafka, kafka.events_topic)
    return len([r async for r in whole_topic(kafka.bootstrap_servers, kafka.events_topic, partitions)])


def summary(lines: list[str]) -> dict[str, int]:
    return dict(json.loads(lines[-1]))


async def test_the_python_and_node_consumers_validate_every_event(stack: Stack) -> None:
    records = await a_log_with_one_foreign_record(stack)
    kafka = stack.gateway_settings.kafka
    env = {"KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers, "EVENTS_TOPIC": kafka.events_topic}

    python = await run(sys.executable, str(EXAMPLES / "python_consumer.py"), "--idle-exit-s", "3", env=env)
    assert summary(python) == {"valid": records - 1, "invalid": 1}, python[-3:]
    assert any('"type": "execution.completed.v1"' in line for line in python)

    npm, node = shutil.which("npm") or "npm", shutil.which("node") or "node"
    await run(npm, "ci", "--no-audit", "--no-fund", "--loglevel=error", env={}, cwd=EXAMPLES / "node")
    lines = await run(node, "consumer.mjs", env={**env, "IDLE_EXIT_MS": "4000"}, cwd=EXAMPLES / "node")
    assert summary(lines) == {"valid": records - 1, "invalid": 1}, lines[-3:]
