"""How far each endpoint has been delivered, on a compacted topic keyed by webhook id.

The dispatcher writes a webhook's cursor (the next offset per partition of the events topic)
only after the endpoint acknowledged everything before it with a 2xx, so a restart goes on
from there: at least once, nothing lost. The same record carries the endpoint's status
(failures in a row, last error, next attempt), which every gateway folds to answer
`GET /webhooks/{id}/deliveries`. On a topic rather than in the dispatcher's own file, so the
dispatcher can move to another machine and the gateway can show what it reports.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from aiokafka import AIOKafkaProducer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pydantic import ValidationError

from contracts.envelope import Frozen
from projections.follower import ConsumerFactory, LogFollower
from services.kafka_io import partitions_of
from services.kafka_settings import KafkaSettings

log = logging.getLogger(__name__)

PARTITION = 0
TOPIC_ALREADY_EXISTS = 36


def progress_topic(events_topic: str) -> str:
    return f"{events_topic}.webhook-progress"


class Progress(Frozen):
    webhook_id: str
    tenant_id: str
    cursor: dict[int, int]
    """Partition -> next offset of the events topic not yet acknowledged (everything before: 2xx)."""
    redelivery_id: str | None = None
    """The last redelivery request already applied to the cursor."""
    delivered: int = 0
    """Deliveries acknowledged since the webhook was registered (redeliveries included)."""
    last_delivered_at: datetime | None = None
    last_event_id: str | None = None
    consecutive_failures: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    updated_at: datetime

    def cursor_text(self) -> str:
        """The cursor as `POST /webhooks/{id}/redeliver` takes it back."""
        return ",".join(f"{p}:{o}" for p, o in sorted(self.cursor.items()))


async def ensure_progress_topic(kafka: KafkaSettings, timeout_s: float = 30.0) -> None:
    # Compacted: only each webhook's latest record matters, so the topic stays as small as the
    # number of webhooks however many deliveries are made.
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap_servers)
    topic = NewTopic(
        progress_topic(kafka.events_topic), 1, kafka.replication_factor, topic_configs={"cleanup.policy": "compact"}
    )
    async with asyncio.timeout(timeout_s):
        await admin.start()
        try:
            response = await admin.create_topics([topic])
        finally:
            await admin.close()
    for name, code, *message in response.topic_errors:
        if code not in (0, TOPIC_ALREADY_EXISTS):
            raise RuntimeError(f"cannot create topic {name}: error {code} {message}")
    await _until_described(kafka, topic.name, timeout_s)


async def _until_described(kafka: KafkaSettings, topic: str, timeout_s: float) -> None:
    """A topic just created is not in the metadata at once; a reader assigned to it before then
    logs an error for every metadata refresh until it is."""
    async with asyncio.timeout(timeout_s):
        while True:
            try:
                await partitions_of(kafka, topic, timeout_s)
                return
            except RuntimeError:
                await asyncio.sleep(0.1)


class ProgressFollower:
    """Every webhook's latest progress, in memory, folded from the topic's beginning."""

    def __init__(self, consumer_factory: ConsumerFactory, topic: str) -> None:
        self.latest: dict[str, Progress] = {}
        self._follower = LogFollower(consumer_factory, topic, self)

    async def start(self, timeout_s: float = 30.0) -> None:
        await self._follower.start([PARTITION])
        await self._follower.wait_caught_up(timeout_s)

    async def stop(self) -> None:
        await self._follower.stop()

    async def stored_positions(self) -> dict[int, int]:
        return {}

    async def apply(self, records: list[ConsumerRecord], next_offsets: dict[int, int]) -> None:
        for record in records:
            webhook_id = (record.key or b"").decode(errors="replace")
            if record.value is None:
                self.latest.pop(webhook_id, None)  # deleted webhook
                continue
            try:
                self.latest[webhook_id] = Progress.model_validate_json(record.value)
            except ValidationError as error:
                log.warning("skipping unreadable webhook progress at %s: %s", record.offset, error.errors()[0]["msg"])


class ProgressWriter:
    """Writes progress records; a write that fails is logged and superseded by the next one."""

    def __init__(self, producer: AIOKafkaProducer, topic: str, timeout_s: float) -> None:
        self._producer = producer
        self._topic = topic
        self._timeout_s = timeout_s

    async def save(self, progress: Progress) -> bool:
        value = progress.model_dump_json(by_alias=True).encode()
        return await self._send(progress.webhook_id, value)

    async def forget(self, webhook_id: str) -> bool:
        """A tombstone: compaction drops the deleted webhook's progress."""
        return await self._send(webhook_id, None)

    async def _send(self, webhook_id: str, value: bytes | None) -> bool:
        try:
            async with asyncio.timeout(self._timeout_s):
                await self._producer.send_and_wait(self._topic, value, key=webhook_id.encode())
        except Exception as error:  # noqa: BLE001 -- the broker's many errors all mean "not stored"
            # Harmless for at-least-once: the stored cursor is older, so a restart redelivers more.
            log.warning("progress of webhook %s not stored: %r", webhook_id, error)
            return False
        return True
