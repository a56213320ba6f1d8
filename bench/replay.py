"""Replay speed: rebuilding the read model from offset 0 against a raw aiokafka consume of the
same topic from offset 0, in the same run, on the same broker.

The topic is filled with no_op-shaped executions (Created, Started, Completed; chained as the
services write them). The raw baseline reads every record and does nothing with it; the
rebuild is what `executions replay` runs: the gateway's projection runner into a fresh file, one
per core over a share of the partitions (counted from the first process spawned to the file synced).
"""

from __future__ import annotations

import asyncio
import io
import secrets
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaProducer

from contracts.chain import chained
from contracts.codec import encode
from projections.log_reader import whole_topic
from services.cli.replay import rebuild
from services.kafka_io import ensure_topics, partitions_of
from services.kafka_settings import KafkaSettings
from tests.events import completed, created, started

PARTITIONS = 6


@dataclass
class ReplayFigures:
    events: int
    raw_per_s: float
    rebuild_per_s: float

    @property
    def ratio(self) -> float:
        return self.rebuild_per_s / self.raw_per_s


async def fill(kafka: KafkaSettings, executions: int) -> int:
    await ensure_topics(kafka)
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, linger_ms=20, max_batch_size=512 * 1024)
    await producer.start()
    try:
        pending = []
        for _ in range(executions):
            execution_id = secrets.token_urlsafe(16)[:21]  # shaped as the gateway makes them: random
            previous = None
            for event in (
                created(execution_id),
                started(execution_id=execution_id),
                completed(3, execution_id=execution_id),
            ):
                linked = chained(event, previous)
                previous = linked.chainhash
                record = encode(linked)
                pending.append(
                    await producer.send(kafka.events_topic, record.value, key=record.key, headers=record.headers)
                )
            if len(pending) > 20_000:
                await asyncio.gather(*pending)
                pending = []
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return executions * 3


async def raw_rate(kafka: KafkaSettings, events: int) -> float:
    began = time.perf_counter()
    seen = 0
    async for _ in whole_topic(
        kafka.bootstrap_servers, kafka.events_topic, await partitions_of(kafka, kafka.events_topic)
    ):
        seen += 1
    assert seen == events, (seen, events)
    return events / (time.perf_counter() - began)


def rebuild_rate(kafka: KafkaSettings, folder: Path, events: int) -> float:
    rebuilt = rebuild(kafka, folder / f"replay-{uuid.uuid4().hex[:6]}", out=io.StringIO())
    return events / rebuilt.seconds


def measure(servers: str, executions: int) -> ReplayFigures:
    kafka = KafkaSettings(bootstrap_servers=servers, events_topic=f"bench-replay-{uuid.uuid4().hex[:8]}",
                          partitions=PARTITIONS)  # fmt: skip
    events = asyncio.run(fill(kafka, executions))
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(raw_rate(kafka, events))  # warm: the broker's page cache and JIT, for both
        raw = asyncio.run(raw_rate(kafka, events))
        rebuilt = rebuild_rate(kafka, Path(folder), events)
    return ReplayFigures(events, raw, rebuilt)
