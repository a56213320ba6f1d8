"""`create_app(settings)`: the handler as a faststream app in consumer group `handler`.

faststream owns the consumer and its poll loop; each batch goes to the
`Worker`, which runs executions as tasks and reports the low watermark we
commit by hand (ack policy MANUAL: faststream's default would commit offsets
of executions that have not finished).
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import KafkaError
from faststream import AckPolicy, FastStream
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage

from contracts.files import TOPIC_MAX_MESSAGE_BYTES
from projections.file_store import FileStore
from projections.files_follower import FilesFollower
from projections.kafka_client import make_reader, stop_within
from services.handler.catch_up import records_end
from services.handler.dead_letters import DeadLetterLedger, DeadLetters, letters_on
from services.handler.file_source import FollowedFiles
from services.handler.ordered_writer import Fenced
from services.handler.partition_writer import PartitionWriter, transactional_id
from services.handler.plugins.base import Plugin
from services.handler.plugins.registry import default_plugins
from services.handler.settings import HandlerSettings
from services.handler.token_sink import TokenPublisher
from services.handler.worker import Worker
from services.kafka_io import PublishFailed, ensure_topics, make_producer, producer_send
from services.log_limits import limit_repeats

log = logging.getLogger(__name__)

ASSIGN_ATTEMPTS = 10


class HandlerRuntime:
    """What the handler holds while it runs; built on start-up, released on shutdown."""

    def __init__(self, settings: HandlerSettings, plugins: dict[str, Plugin]) -> None:
        self.settings = settings
        self.plugins = plugins
        self.subscriber: Any = None
        self._producer: AIOKafkaProducer | None = None
        self._worker: Worker | None = None
        self._files: FilesFollower | None = None
        self._writers: dict[int, PartitionWriter] = {}
        self._tail_reader: AIOKafkaConsumer | None = None
        self._letters_reader: AIOKafkaConsumer | None = None
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        self._last_commit = 0.0

    @property
    def worker(self) -> Worker:
        assert self._worker is not None, "handler runtime not started"
        return self._worker

    @property
    def tail_reader(self) -> AIOKafkaConsumer:
        assert self._tail_reader is not None, "handler runtime not started"
        return self._tail_reader

    @property
    def consumer(self) -> AIOKafkaConsumer:
        consumer: AIOKafkaConsumer = self.subscriber.consumer
        return consumer

    async def open(self) -> None:
        kafka = self.settings.kafka
        await ensure_topics(kafka)
        self._producer = make_producer(kafka, client_id=self.settings.instance_id)
        await self._producer.start()
        send = producer_send(self._producer)
        self._files = await self._follow_files()
        self._tail_reader = make_reader(kafka.bootstrap_servers, f"{self.settings.instance_id}-tail")
        await self._tail_reader.start()
        # Its own reader: the DLQ is read while records are handled, the tail while partitions are assigned.
        self._letters_reader = make_reader(kafka.bootstrap_servers, f"{self.settings.instance_id}-dlq")
        await self._letters_reader.start()
        ledger = DeadLetterLedger(letters_on(self._letters_reader, kafka.dlq_topic))
        self._worker = Worker(
            self.writer_for,
            DeadLetters(send, kafka.dlq_topic, kafka.send_timeout_s, ledger),
            self.plugins,
            self.settings,
            tokens=TokenPublisher(send, kafka.tokens_topic, kafka.send_timeout_s),
            files=FollowedFiles(self._files),
            on_lost=lambda partition: self.request_rebalance(f"partition {partition}: writes abandoned"),
        )

    async def _follow_files(self) -> FilesFollower:
        path = self.settings.files_db_path
        if path is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="handler-files-")
            path = Path(self._scratch.name) / "files.sqlite3"
        kafka = self.settings.kafka
        follower = FilesFollower(
            lambda: make_reader(kafka.bootstrap_servers, f"{self.settings.instance_id}-files", TOPIC_MAX_MESSAGE_BYTES),
            kafka.files_topic,
            await FileStore.open(path),
        )
        await follower.start()
        return follower

    def writer_for(self, partition: int) -> PartitionWriter:
        writer = self._writers.get(partition)
        if writer is None:
            raise Fenced(f"partition {partition} is not owned here (any more)")  # its new owner resumes
        return writer

    async def take_over(self, partitions: list[int]) -> None:
        """Start the writers of newly owned partitions, fencing their previous writers.

        Raises PublishFailed if one cannot start: until it has, an earlier writer's transaction
        may still land, and reading where the partition ends would be premature."""
        kafka = self.settings.kafka
        for partition in partitions:
            writer = self._writers.get(partition)
            if writer is None:
                txn_id = transactional_id(self.settings.consumer_group, kafka.events_topic, partition)
                writer = PartitionWriter(self._transactional_producer, kafka.events_topic, partition, txn_id,
                                         kafka.send_timeout_s, on_fenced=self._fenced,
                                         attempts=self.settings.publish_attempts)  # fmt: skip
                self._writers[partition] = writer
            await writer.start()  # at once if it already started on an earlier attempt

    async def hand_over(self, partitions: list[int]) -> None:
        for partition in partitions:
            writer = self._writers.pop(partition, None)
            if writer is not None:
                await writer.stop()

    def _fenced(self, partition: int) -> None:
        """Either another handler owns the partition now, or Kafka timed our transaction out.
        Only the group can tell which, so ask it."""
        self.request_rebalance(f"partition {partition} fenced")

    def request_rebalance(self, why: str) -> None:
        """A rebalance hands every partition to one owner again, who resumes its executions from
        the log. The request waits, if need be, until the group's coordinator is reachable."""
        log.warning("%s; asking the consumer group for a rebalance", why)
        self.consumer._coordinator.request_rejoin()  # aiokafka has no public call for this

    def _transactional_producer(self, txn_id: str) -> AIOKafkaProducer:
        return make_producer(
            self.settings.kafka, client_id=f"{self.settings.instance_id}-writer", transactional_id=txn_id
        )

    async def stop_runs(self) -> None:
        if self._worker is not None:
            await self._worker.stop()
        await self.hand_over(list(self._writers))

    async def close(self) -> None:
        if self._producer is not None:
            await stop_within(self._producer)
        if self._tail_reader is not None:
            await stop_within(self._tail_reader)
        if self._letters_reader is not None:
            await stop_within(self._letters_reader)
        if self._files is not None:
            await self._files.stop()
            await self._files.store.close()
        if self._scratch is not None:
            self._scratch.cleanup()

    async def on_records(self, records: tuple[ConsumerRecord, ...]) -> None:
        await self.worker.handle(list(records))
        now = time.monotonic()
        if now - self._last_commit >= self.settings.commit_interval_s:
            self._last_commit = now
            try:
                await self.commit(self.worker.offsets_to_commit())
            except KafkaError as error:
                # The watermark is only held back: the next batch (or the revocation) commits it.
                log.warning("could not commit the low watermark: %r", error)

    async def commit(self, offsets: dict[int, int]) -> None:
        if not offsets:
            return
        topic = self.settings.kafka.events_topic
        await self.consumer.commit({TopicPartition(topic, p): o for p, o in offsets.items()})
        self.worker.mark_committed(offsets)


class WorkerRebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, runtime: HandlerRuntime) -> None:
        self._runtime = runtime

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        offsets = {}
        for tp in revoked:
            watermark = await self._runtime.worker.revoke(tp.partition)
            if watermark is not None:
                offsets[tp.partition] = watermark
        await self._runtime.hand_over([tp.partition for tp in revoked])
        try:
            await self._runtime.commit(offsets)
        except KafkaError as error:
            # Not fatal: the next owner starts from the last watermark we did commit.
            log.warning("could not commit on revocation: %r", error)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        if not assigned:
            return
        partitions = sorted(assigned)
        numbers = [tp.partition for tp in partitions]
        self._runtime.worker.expect(numbers)  # before any await
        # aiokafka only logs a listener's exception: without these offsets the worker would
        # skip every record of the partitions, so retry, and say so loudly if it cannot.
        for attempt in range(1, ASSIGN_ATTEMPTS + 1):
            try:
                # Fence the previous writers first, so nothing of theirs lands after the end read below.
                await self._runtime.take_over(numbers)
                bounds = await self._bounds(partitions)
                ends = await records_end(self._runtime.tail_reader, partitions[0].topic, bounds)
                break
            except (KafkaError, TimeoutError, PublishFailed) as error:
                log.warning("attempt %s to take over %s failed: %r", attempt, numbers, error)
                await asyncio.sleep(0.5)
        else:
            for partition in numbers:
                await self._runtime.worker.revoke(partition)  # releases records waiting for it
            await self._runtime.hand_over(numbers)
            self._runtime.request_rebalance(f"partitions {numbers} could not be taken over")
            return
        for partition, (start, _) in bounds.items():
            self._runtime.worker.assign(partition, start, ends[partition])
        log.info("assigned %s", bounds)

    async def _bounds(self, partitions: list[TopicPartition]) -> dict[int, tuple[int, int]]:
        """Where reading starts (the committed low watermark) and where catching up ends."""
        consumer = self._runtime.consumer
        ends = await consumer.end_offsets(partitions)
        beginnings = await consumer.beginning_offsets(partitions)
        bounds = {}
        for tp in partitions:
            committed = await consumer.committed(tp)
            bounds[tp.partition] = (committed if committed is not None else beginnings[tp], ends[tp])
        return bounds


async def _parse_leniently(
    records: tuple[ConsumerRecord, ...], original: Callable[[tuple[ConsumerRecord, ...]], Awaitable[Any]]
) -> Any:
    """faststream decodes every header as UTF-8 to build its message: one garbled header of
    another producer's would fail the whole batch before the worker sees it. It is given
    headers it can read; the worker still gets the records as they are."""
    readable = tuple(replace(record, headers=_readable(record.headers)) for record in records)
    message = await original(readable)
    message.raw_message = records
    return message


def _readable(headers: Any) -> list[tuple[str, bytes]]:
    return [(name, (value or b"").decode(errors="replace").encode()) for name, value in headers or ()]


async def _raw_records(message: StreamMessage[Any]) -> Any:
    # Parsing is the worker's job: a bad record must reach the dead-letter topic,
    # not fail the whole batch in a decoder.
    return message.raw_message


def create_app(settings: HandlerSettings, plugins: dict[str, Plugin] | None = None) -> FastStream:
    limit_repeats()  # a broker outage otherwise logs hundreds of identical errors a second
    runtime = HandlerRuntime(settings, plugins or default_plugins())
    # Our logger, not faststream's own: its records then look like every other line (no colour codes).
    logger = logging.getLogger("services.handler.faststream")
    broker = KafkaBroker(
        settings.kafka.servers,  # a list: faststream takes a string for one host:port only
        client_id=f"{settings.instance_id}-consumer",
        logger=logger,
        log_level=logging.DEBUG,  # one line per batch is noise at INFO
    )
    subscriber = broker.subscriber(
        settings.kafka.events_topic,
        batch=True,
        max_records=settings.max_batch,
        batch_timeout_ms=100,
        group_id=settings.consumer_group,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        fetch_max_wait_ms=500,  # a long poll: the broker answers as soon as records arrive
        ack_policy=AckPolicy.MANUAL,
        listener=WorkerRebalance(runtime),
        parser=_parse_leniently,
        decoder=_raw_records,
        title="handler",
        description="Runs pipelines; writes Started / Progressed / Completed.",
    )

    @subscriber
    async def on_batch(body: Any, message: KafkaMessage) -> None:
        await runtime.on_records(message.raw_message)

    runtime.subscriber = subscriber
    app = FastStream(broker, logger=logger)
    app.on_startup(runtime.open)
    app.on_shutdown(runtime.stop_runs)
    app.after_shutdown(runtime.close)
    return app
