"""Kafka adapters every service uses: topic creation and a publisher with a deadline."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError
from aiokafka.structs import RecordMetadata

from contracts.codec import Record, encode
from contracts.envelope import Envelope
from contracts.files import TOPIC_MAX_MESSAGE_BYTES
from contracts.topics import TopicSpec, event_topics
from services.kafka_settings import KafkaSettings

log = logging.getLogger(__name__)

TOPIC_ALREADY_EXISTS = 36
TRANSACTION_TIMEOUT_MS = 15_000
"""An open transaction of a crashed writer blocks read_committed readers of its partition this
long at most (a new writer of the partition aborts it at once)."""

SendFn = Callable[[str, Record], Awaitable[RecordMetadata]]


class PublishFailed(Exception):
    """The event was not acknowledged by the broker in time; nothing was recorded."""


class EventPublisher:
    """Appends events to the log, each send bounded by a deadline."""

    def __init__(self, send: SendFn, topic: str, timeout_s: float) -> None:
        self._send = send
        self._topic = topic
        self._timeout_s = timeout_s

    async def publish(self, event: Envelope) -> RecordMetadata:
        try:
            async with asyncio.timeout(self._timeout_s):
                return await self._send(self._topic, encode(event))
        except (TimeoutError, KafkaError) as error:
            raise PublishFailed(f"broker did not acknowledge {event.type} in time: {error!r}") from error


def make_producer(settings: KafkaSettings, client_id: str, transactional_id: str | None = None) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        client_id=client_id,
        transactional_id=transactional_id,
        transaction_timeout_ms=TRANSACTION_TIMEOUT_MS,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=256 * 1024,
        max_request_size=TOPIC_MAX_MESSAGE_BYTES,  # an extracted file is one large record
        request_timeout_ms=int(settings.send_timeout_s * 1000),
    )


def producer_send(producer: AIOKafkaProducer) -> SendFn:
    async def send(topic: str, record: Record) -> RecordMetadata:
        return await producer.send_and_wait(topic, record.value, key=record.key, headers=record.headers)

    return send


async def ensure_topics(settings: KafkaSettings, timeout_s: float = 60.0) -> None:
    """Create the event topics if missing; safe to call from every service at start."""
    specs = event_topics(settings.events_topic, settings.partitions, settings.replication_factor)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    async with asyncio.timeout(timeout_s):
        await admin.start()
        try:
            await _create(admin, specs)
        finally:
            await admin.close()


async def partitions_of(settings: KafkaSettings, topic: str, timeout_s: float = 30.0) -> list[int]:
    """The partition numbers of `topic`, as the cluster reports them."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    async with asyncio.timeout(timeout_s):
        await admin.start()
        try:
            (described,) = await admin.describe_topics([topic])
        finally:
            await admin.close()
    if described["error_code"] != 0 or not described["partitions"]:
        raise RuntimeError(f"topic {topic!r} is not available (error {described['error_code']})")
    return sorted(p["partition"] for p in described["partitions"])


async def _create(admin: AIOKafkaAdminClient, specs: list[TopicSpec]) -> None:
    response = await admin.create_topics(
        [NewTopic(s.name, s.partitions, s.replication_factor, topic_configs=s.config) for s in specs]
    )
    for topic, code, *message in response.topic_errors:
        if code not in (0, TOPIC_ALREADY_EXISTS):
            raise RuntimeError(f"cannot create topic {topic}: error {code} {message}")
