"""An owned partition's lifecycle events, written in transactions by the partition's one writer.

The transactional id belongs to the partition, not to the process: when another handler
takes the partition over, starting its writer fences ours, so a handler that lost the
partition without noticing (a zombie) can no longer append, and its open transaction is
aborted. Events queue while a transaction is in flight and go out together in the next one,
in the order they were submitted, retried in that order (`OrderedWriter`).

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

from contracts.codec import Record
from contracts.envelope import Envelope
from projections.kafka_client import stop_within
from services.handler.ordered_writer import Fenced, OrderedWriter, WriterStopped
from services.kafka_io import PublishFailed

log = logging.getLogger(__name__)

ProducerFactory = Callable[[str], AIOKafkaProducer]
"""A transactional id in, an unstarted producer with that id out."""

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
        attempts: int = 5,
        retry_pause_s: float = 2.0,
    ) -> None:
        self._factory = factory
        self._on_fenced = on_fenced
        self._topic = topic
        self._partition = partition
        self._txn_ids = transactional_ids(txn_id)
        self._timeout_s = timeout_s
        self._producers: list[AIOKafkaProducer | None] = [None] * len(self._txn_ids)
        self._turn = 0
        self._stopped = False
        self._ordered = OrderedWriter(self._write, f"partition {partition}", attempts, retry_pause_s)

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
        await self._ordered.stop()
        for index in range(len(self._producers)):
            await self._renew(index)

    def submit(self, event: Envelope) -> asyncio.Future[RecordMetadata]:
        """Queue the event behind those submitted before it (raises Fenced once nothing more can land)."""
        return self._ordered.submit(event)

    async def publish(self, event: Envelope) -> RecordMetadata:
        return await self._ordered.publish(event)

    async def _write(self, records: list[Record]) -> list[RecordMetadata]:
        index, self._turn = self._turn, (self._turn + 1) % len(self._producers)
        try:
            return await self._transaction(index, records)
        except ProducerFenced as error:
            log.warning("partition %s: fenced by a newer writer of its transactional id", self._partition)
            self._on_fenced(self._partition)
            raise Fenced(f"partition {self._partition} belongs to another handler now") from error
        except Fenced:
            raise  # the writer stopped: it takes no id back
        except Exception as error:
            # Renewing takes the id again. Only a failure other than fencing gets here, and the
            # runtime stops this writer as soon as the partition is revoked.
            await self._renew(index)
            raise PublishFailed(f"transaction on partition {self._partition} failed: {error!r}") from error

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
