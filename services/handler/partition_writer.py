"""An owned partition's lifecycle events, written in transactions by the partition's one writer.

The transactional id belongs to the partition, not to the process: when another handler
takes the partition over, starting its writer fences ours, so a handler that lost the
partition without noticing (a zombie) can no longer append, and its open transaction is
aborted. Events queue while a transaction is in flight and go out together in the next one.

Two transactional ids per partition, used in turn: a transaction begun right after the last
one of the *same* id commits is refused (CONCURRENT_TRANSACTIONS) until the coordinator has
written that one's markers, which took ~30 ms per transaction here; with two ids in turn the
next transaction starts at once, ~6 ms each. Order is kept: a transaction begins only after the
one before it, on either id, has committed. Starting the writer takes both ids, so it fences
every earlier holder of either.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, ProducerFenced
from aiokafka.structs import RecordMetadata

from contracts.codec import Record, encode
from contracts.envelope import Envelope
from projections.kafka_client import stop_within
from services.kafka_io import PublishFailed

log = logging.getLogger(__name__)

ProducerFactory = Callable[[str], AIOKafkaProducer]
"""A transactional id in, an unstarted producer with that id out."""

Pending = tuple[Record, "asyncio.Future[RecordMetadata]"]


class Fenced(PublishFailed):
    """Another handler owns this partition now; nothing more of ours will be recorded."""


class WriterStopped(Fenced):
    """The partition was handed over: this writer sends nothing more, nor takes the id back."""


TRANSACTIONAL_IDS_PER_PARTITION = 2


def transactional_id(consumer_group: str, topic: str, partition: int) -> str:
    return f"{consumer_group}/{topic}/{partition}"


def transactional_ids(base: str) -> list[str]:
    """The partition's ids: its base id (what earlier versions used alone, so they are fenced
    too), then the others."""
    return [base, *(f"{base}#{n}" for n in range(1, TRANSACTIONAL_IDS_PER_PARTITION))]


class PartitionWriter:
    def __init__(
        self,
        factory: ProducerFactory,
        topic: str,
        partition: int,
        txn_id: str,
        timeout_s: float,
        on_fenced: Callable[[int], None] = lambda partition: None,
    ) -> None:
        self._factory = factory
        self._on_fenced = on_fenced
        self._topic = topic
        self._partition = partition
        self._txn_ids = transactional_ids(txn_id)
        self._timeout_s = timeout_s
        self._producers: list[AIOKafkaProducer | None] = [None] * len(self._txn_ids)
        self._turn = 0
        self._queue: list[Pending] = []
        self._flusher: asyncio.Task[None] | None = None
        self._fenced = False
        self._stopped = False

    async def start(self) -> None:
        """Take the partition's transactional ids; whoever held them before is fenced from now on.

        Once this returns, the previous writer's open transactions are settled (committed or
        aborted): what the partition holds no longer changes behind a reader of its end."""
        for index in range(len(self._txn_ids)):
            await self._start_producer(index)

    async def _start_producer(self, index: int) -> AIOKafkaProducer:
        existing = self._producers[index]
        if existing is not None:
            return existing
        if self._stopped:
            raise WriterStopped(f"the writer of partition {self._partition} stopped")
        producer = self._factory(self._txn_ids[index])
        try:
            async with asyncio.timeout(self._timeout_s):
                await producer.start()
        except (KafkaError, TimeoutError) as error:
            await stop_within(producer)
            raise PublishFailed(f"cannot start the writer of partition {self._partition}: {error!r}") from error
        self._producers[index] = producer
        return producer

    async def stop(self) -> None:
        self._stopped = True
        if self._flusher is not None:
            self._flusher.cancel()
            await asyncio.gather(self._flusher, return_exceptions=True)
        self._fail(self._queue, WriterStopped(f"the writer of partition {self._partition} stopped"))
        self._queue = []
        for index in range(len(self._producers)):
            await self._renew(index)

    async def publish(self, event: Envelope) -> RecordMetadata:
        if self._stopped:
            # A run's retry after the hand-over: starting again would take the id from the new writer.
            raise WriterStopped(f"the writer of partition {self._partition} stopped")
        if self._fenced:
            raise Fenced(f"partition {self._partition} belongs to another handler now")
        future: asyncio.Future[RecordMetadata] = asyncio.get_running_loop().create_future()
        self._queue.append((encode(event), future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name=f"writer:{self._partition}")
        return await future

    async def _flush(self) -> None:
        while self._queue and not self._fenced:
            batch, self._queue = self._queue, []
            index, self._turn = self._turn, (self._turn + 1) % len(self._producers)
            try:
                results = await self._transaction(index, [record for record, _ in batch])
            except ProducerFenced:
                log.warning("partition %s: fenced by a newer writer of its transactional id", self._partition)
                self._fenced = True
                self._fail(batch + self._queue, Fenced(f"partition {self._partition} belongs to another handler now"))
                self._queue = []
                self._on_fenced(self._partition)
            except asyncio.CancelledError:
                self._fail(batch, WriterStopped(f"the writer of partition {self._partition} stopped"))
                raise
            except Exception as error:  # whatever it was, the callers waiting on the batch must hear of it
                # Renewing takes the id again. Only a failure other than fencing gets here, and the
                # runtime stops this writer as soon as the partition is revoked.
                self._fail(batch, PublishFailed(f"transaction on partition {self._partition} failed: {error!r}"))
                await self._renew(index)
            else:
                for (_, future), metadata in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(metadata)

    async def _transaction(self, index: int, records: list[Record]) -> list[RecordMetadata]:
        producer = await self._start_producer(index)
        # No `async with producer.transaction()`: its abort can wait forever on a lost broker.
        # A failed transaction is instead left open and aborted by the next producer's start.
        async with asyncio.timeout(self._timeout_s):
            await producer.begin_transaction()
            sent = [
                await producer.send(self._topic, r.value, key=r.key, headers=r.headers, partition=self._partition)
                for r in records
            ]
            results = list(await asyncio.gather(*sent))
            await producer.commit_transaction()
        return results

    async def _renew(self, index: int) -> None:
        """Drop a producer; the next transaction on its id starts a new one under that id."""
        producer, self._producers[index] = self._producers[index], None
        if producer is not None:
            await stop_within(producer)

    @staticmethod
    def _fail(pending: list[Pending], error: Exception) -> None:
        for _, future in pending:
            if not future.done():
                future.set_exception(error)
