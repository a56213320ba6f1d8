"""Kafka adapters every service uses: topic creation and a publisher with a deadline."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, KafkaTimeoutError
from aiokafka.structs import RecordMetadata

from contracts.codec import Record, encode
from contracts.envelope import Envelope
from contracts.files import TOPIC_MAX_MESSAGE_BYTES
from contracts.topics import MAX_EVENT_RECORD_BYTES, TopicSpec, event_topics
from projections.kafka_client import stop_within
from services.kafka_settings import KafkaSettings

log = logging.getLogger(__name__)

TOPIC_ALREADY_EXISTS = 36
TRANSACTION_TIMEOUT_MS = 15_000
"""An open transaction of a crashed writer blocks read_committed readers of its partition this
long at most (a new writer of the partition aborts it at once)."""

TRANSACTION_RETRY_BACKOFF_MS = 10
"""A transaction begun right after the last one commits is refused (CONCURRENT_TRANSACTIONS)
until the coordinator has written the last one's markers, a few ms; at aiokafka's default
100 ms backoff every back-to-back transaction took ~26 ms here, at 10 ms ~5 ms."""

SendFn = Callable[[str, Record], Awaitable[RecordMetadata]]
RECORD_OVERHEAD_BYTES = 64
RENEW_TIMEOUT_S = 10.0


class PublishFailed(Exception):
    """The event was not sent: nothing was recorded."""


class OutcomeUnknown(PublishFailed):
    """The event was sent, but the broker did not confirm it in time: it may yet be recorded.

    `delivery` settles it later: it ends with the record's position, or with an error.
    """

    def __init__(self, message: str, delivery: asyncio.Future[RecordMetadata]) -> None:
        super().__init__(message)
        self.delivery = delivery


class RecordTooLarge(Exception):
    """The event is larger than its topic takes; it was not sent."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"the event is {size} bytes; the log takes at most {limit} per event")
        self.size = size
        self.limit = limit


def record_size(record: Record) -> int:
    """Bytes a record takes in a batch, near enough: key, value, headers, and per-record framing."""
    headers = sum(len(name) + len(value) + 10 for name, value in record.headers)
    return len(record.key) + len(record.value) + headers + RECORD_OVERHEAD_BYTES


Probe = Callable[[], Awaitable[bool]]
"""Whether the broker answers now."""


class EventPublisher:
    """Appends events to the log, each send bounded by a deadline, none larger than the topic takes.

    What a failure means is kept exact: `PublishFailed` when nothing was sent (too large, or the
    broker is known to be away), `OutcomeUnknown` once a send has begun and was not confirmed.
    """

    def __init__(
        self,
        send: SendFn,
        topic: str,
        timeout_s: float,
        max_record_bytes: int = MAX_EVENT_RECORD_BYTES,
        reachable: Probe | None = None,
        on_send: Callable[[Envelope, bytes], None] | None = None,
    ) -> None:
        self._on_send = on_send
        """Told of each event about to be sent, with its record's value (`OwnAppends`)."""
        self._send = send
        self._topic = topic
        self._timeout_s = timeout_s
        self._max_record_bytes = max_record_bytes
        self._reachable = reachable
        self._doubtful = False
        """The last send went unconfirmed: ask the broker before sending the next."""

    async def publish(self, event: Envelope) -> RecordMetadata:
        record = encode(event)
        if (size := record_size(record)) > self._max_record_bytes:
            # Checked here, not left to the broker: a batch it refuses breaks the producer's
            # numbering of that partition for every later sender.
            raise RecordTooLarge(size, self._max_record_bytes)
        if self._doubtful and self._reachable is not None and not await self._reachable():
            raise PublishFailed(f"the broker is unreachable; {event.type} was not sent")
        if self._on_send is not None:
            self._on_send(event, record.value)
        delivery = asyncio.ensure_future(self._send(self._topic, record))
        delivery.add_done_callback(_observe)
        try:
            async with asyncio.timeout(self._timeout_s):
                metadata = await asyncio.shield(delivery)  # the send goes on past the deadline
        except (TimeoutError, KafkaError) as error:
            self._doubtful = True
            raise OutcomeUnknown(f"broker did not confirm {event.type} in time: {error!r}", delivery) from error
        self._doubtful = False
        return metadata


def _observe(delivery: asyncio.Future[RecordMetadata]) -> None:
    """A late failure nobody awaits any more is expected, not worth asyncio's warning."""
    if not delivery.cancelled():
        delivery.exception()


ProducerFactory = Callable[[], AIOKafkaProducer]


class RenewingProducer:
    """A service's producer, replaced by a fresh one when a send leaves it unusable.

    An idempotent producer numbers its batches per partition. Once the broker refuses one
    outright, every later batch to that partition is out of sequence and fails, for every
    caller, until the process restarts. A new producer starts a new numbering.
    """

    def __init__(self, factory: ProducerFactory) -> None:
        self._factory = factory
        self._producer: AIOKafkaProducer | None = None
        self._renewing = asyncio.Lock()
        self._retired: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._producer = self._factory()
        await self._producer.start()

    async def stop(self) -> None:
        await asyncio.gather(*self._retired, return_exceptions=True)
        if self._producer is not None:
            await stop_within(self._producer)

    async def send(self, topic: str, record: Record) -> RecordMetadata:
        producer = self._producer
        assert producer is not None, "producer not started"
        try:
            return await producer.send_and_wait(topic, record.value, key=record.key, headers=record.headers)
        except KafkaError as error:
            if _leaves_producer_unusable(error):
                await self._renew(producer, error)
            raise

    async def _renew(self, failed: AIOKafkaProducer, cause: KafkaError) -> None:
        async with self._renewing:
            if self._producer is not failed:
                return  # a concurrent sender renewed it already
            fresh = self._factory()
            try:
                async with asyncio.timeout(RENEW_TIMEOUT_S):
                    await fresh.start()
            except (TimeoutError, KafkaError) as error:
                log.warning("could not renew the producer after %r: %r; keeping it", cause, error)
                await stop_within(fresh)
                return
            log.warning("producer renewed after %r", cause)
            self._producer = fresh
            retired = asyncio.create_task(stop_within(failed))
            self._retired.add(retired)
            retired.add_done_callback(self._retired.discard)


def _leaves_producer_unusable(error: KafkaError) -> bool:
    """A refusal of the batch itself; not the broker being slow or away, which a retry outlives."""
    return not error.retriable and not isinstance(error, KafkaTimeoutError)


def make_producer(settings: KafkaSettings, client_id: str, transactional_id: str | None = None) -> AIOKafkaProducer:
    transactional = transactional_id is not None
    return AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        client_id=client_id,
        transactional_id=transactional_id,
        transaction_timeout_ms=TRANSACTION_TIMEOUT_MS,
        acks="all",
        enable_idempotence=True,
        # No lingering: each send is awaited by a request or a transaction, and records sent while a
        # batch is in flight are batched anyway. Linger 5 ms cost ~9 ms per trigger→complete (p50 41
        # -> 33 ms one at a time) for no throughput (1,170-1,564 events/s either way here).
        linger_ms=0,
        **({"retry_backoff_ms": TRANSACTION_RETRY_BACKOFF_MS} if transactional else {}),
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


class TopicUnavailable(RuntimeError):
    """The cluster has no such topic, or cannot tell its partitions now."""


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
        raise TopicUnavailable(f"topic {topic!r} is not available (error {described['error_code']})")
    return sorted(p["partition"] for p in described["partitions"])


async def _create(admin: AIOKafkaAdminClient, specs: list[TopicSpec]) -> None:
    response = await admin.create_topics(
        [NewTopic(s.name, s.partitions, s.replication_factor, topic_configs=s.config) for s in specs]
    )
    for topic, code, *message in response.topic_errors:
        if code not in (0, TOPIC_ALREADY_EXISTS):
            raise RuntimeError(f"cannot create topic {topic}: error {code} {message}")
