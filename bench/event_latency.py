"""How long an event takes to reach a subscriber: from the handler stamping `Completed` to the
SSE frame that shows it, against a raw produce→consume ping on the same broker, same run.

Both are measured one at a time on an idle system, so they are the path's own latency, not a
queue's. The ping uses the clients the services use: an acks=all idempotent producer and the
read model's reader (`make_reader`, read_committed).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
from aiokafka import AIOKafkaProducer, TopicPartition

from projections.kafka_client import make_reader
from services.kafka_io import ensure_topics
from services.kafka_settings import KafkaSettings

SAMPLES = 100


@dataclass(frozen=True)
class EventLatency:
    event_to_frame_ms: list[float]
    ping_ms: list[float]

    @property
    def ratio(self) -> float:
        return statistics.median(self.event_to_frame_ms) / statistics.median(self.ping_ms)

    def summary(self) -> str:
        frame, ping = statistics.median(self.event_to_frame_ms), statistics.median(self.ping_ms)
        return (
            f"event → SSE frame (Completed stamped → frame received), one at a time: p50 {frame:.1f} ms; "
            f"raw produce→consume ping, same broker: p50 {ping:.1f} ms; ratio {self.ratio:.1f} (aim ≤ 3)"
        )


async def raw_ping_ms(servers: str, samples: int = SAMPLES) -> list[float]:
    kafka = KafkaSettings(bootstrap_servers=servers, events_topic=f"bench-ping-{uuid.uuid4().hex[:8]}", partitions=1)
    await ensure_topics(kafka)
    producer = AIOKafkaProducer(bootstrap_servers=servers, acks="all", enable_idempotence=True, linger_ms=0)
    consumer = make_reader(servers, "bench-ping")
    await producer.start()
    await consumer.start()
    try:
        tp = TopicPartition(kafka.events_topic, 0)
        consumer.assign([tp])
        await consumer.seek_to_end(tp)
        times = []
        for n in range(samples + 10):
            began = time.perf_counter()
            await producer.send(kafka.events_topic, b"ping", partition=0)
            while not (await consumer.getmany(tp, timeout_ms=1000)).get(tp):
                pass
            if n >= 10:  # the first round trips open connections and fetch sessions
                times.append((time.perf_counter() - began) * 1000)
        return times
    finally:
        await producer.stop()
        await consumer.stop()


async def event_to_frame_ms(base_url: str, key: str, samples: int = SAMPLES) -> list[float]:
    headers = {"Authorization": f"Bearer {key}"}
    async with aiohttp.ClientSession(base_url, headers=headers) as http:
        return [ms for _ in range(samples + 5) if (ms := await _one(http)) is not None][5:]


async def _one(http: aiohttp.ClientSession) -> float | None:
    async with http.post("/pipelines/pl_no_op/trigger", json={"input": {}}) as resp:
        execution_id = (await resp.json())["executionId"]
    async with http.get(f"/pipeline-executions/{execution_id}/stream") as stream:
        async for line in stream.content:
            if not line.startswith(b"data: "):
                continue
            received = datetime.now(UTC)
            state = json.loads(line[6:])
            if isinstance(state, dict) and state.get("status") == "succeeded":
                return (received - datetime.fromisoformat(state["completedAt"])).total_seconds() * 1000
    return None


async def measure(servers: str, base_url: str, key: str) -> EventLatency:
    return EventLatency(await event_to_frame_ms(base_url, key), await raw_ping_ms(servers))


if __name__ == "__main__":  # pragma: no cover - `python -m bench.event_latency SERVERS BASE_URL KEY`
    import sys

    print(asyncio.run(measure(*sys.argv[1:4])).summary())
