"""Replay speed: rebuilding the read model from offset 0 against a raw aiokafka consume of the
same topic from offset 0, in the same run, on the same broker.

The topic is filled with no_op-shaped executions (Created, Started, Completed; chained as the
services write them). The raw baseline reads every record and does nothing with it; the
rebuild is what `executions replay` runs: the gateway's projection runner into a fresh file.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaProducer

from contracts.chain import chained
from contracts.codec import encode
from projections.kafka_client import make_reader
from projections.log_reader import whole_topic
from projections.notifications import ChangeHub
from projections.runner import ProjectionRunner
from projections.store import ReadModel
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
        for n in range(executions):
            execution_id = f"bench-{n}-{uuid.uuid4().hex[:6]}"
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


async def rebuild_rate(kafka: KafkaSettings, folder: Path, events: int) -> float:
    store = await ReadModel.open(folder / f"replay-{uuid.uuid4().hex[:6]}.sqlite3")
    runner = ProjectionRunner(lambda: make_reader(kafka.bootstrap_servers, "bench-replay"), store, ChangeHub(),
                              kafka.events_topic)  # fmt: skip
    began = time.perf_counter()
    await runner.start(await partitions_of(kafka, kafka.events_topic))
    try:
        await runner.wait_caught_up(600)
        elapsed = time.perf_counter() - began
    finally:
        await runner.stop()
        await store.close()
    return events / elapsed


async def measure(servers: str, executions: int) -> ReplayFigures:
    kafka = KafkaSettings(bootstrap_servers=servers, events_topic=f"bench-replay-{uuid.uuid4().hex[:8]}",
                          partitions=PARTITIONS)  # fmt: skip
    events = await fill(kafka, executions)
    with tempfile.TemporaryDirectory() as folder:
        await raw_rate(kafka, events)  # warm: the broker's page cache and JIT, for both
        raw = await raw_rate(kafka, events)
        rebuild = await rebuild_rate(kafka, Path(folder), events)
    return ReplayFigures(events, raw, rebuild)
