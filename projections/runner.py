"""Applies the event log to a read model, batch by batch, from its stored position.

Each process that serves queries runs its own runner into its own SQLite file.
It reads every partition without a consumer group: its position lives in the
same SQLite transaction as its rows, and it seeks there on start.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import sqlite3
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from contracts.codec import UndecodableEvent, decode
from projections.batch import FoldedBatch, LoggedEvent, fold_batch
from projections.kafka_client import stop_reading
from projections.notifications import ChangeHub
from projections.quarantine import Quarantine
from projections.state import ExecutionState
from projections.store import ReadModel

log = logging.getLogger(__name__)

ConsumerFactory = Callable[[], AIOKafkaConsumer]
RETRY_S = 1.0
STORE_REFUSED = (ValueError, OverflowError, TypeError, sqlite3.DataError, sqlite3.IntegrityError)
"""What storing a record that decoded can still raise when the record, not the disk, is at fault."""
Waiter = tuple[int, int, "asyncio.Future[None]"]


class ProjectionRunner:
    def __init__(
        self,
        consumer_factory: ConsumerFactory,
        store: ReadModel,
        hub: ChangeHub,
        topic: str,
        max_batch: int = 2000,
    ) -> None:
        self._consumer_factory = consumer_factory
        self._store = store
        self._hub = hub
        self._topic = topic
        self._max_batch = max_batch
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._next_offsets: dict[int, int] = {}
        self._start_targets: dict[int, int] = {}
        self._caught_up = asyncio.Event()
        self._waiters: dict[int, list[Waiter]] = {}
        self._tiebreak = itertools.count()
        self.quarantine = Quarantine()

    @property
    def caught_up(self) -> bool:
        """True once everything on the log at start-up has been applied."""
        return self._caught_up.is_set()

    def progress(self) -> tuple[int, int]:
        """Offsets applied of those on the log at start-up (all of them for a fresh read model)."""
        applied = sum(min(self._next_offsets.get(p, 0), end) for p, end in self._start_targets.items())
        return applied, sum(self._start_targets.values())

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self, partition_numbers: list[int]) -> None:
        consumer = self._consumer_factory()
        await consumer.start()
        self._consumer = consumer
        partitions = [TopicPartition(self._topic, p) for p in partition_numbers]
        consumer.assign(partitions)
        stored = await self._store.positions(self._topic)
        for tp in partitions:
            self._next_offsets[tp.partition] = stored.get(tp.partition, 0)
            consumer.seek(tp, self._next_offsets[tp.partition])
        ends = await consumer.end_offsets(partitions)
        self._start_targets = {tp.partition: offset for tp, offset in ends.items()}
        self._check_caught_up()
        self._task = asyncio.create_task(self._run(consumer), name=f"projection:{self._topic}")
        self._task.add_done_callback(_log_crash)

    async def stop(self) -> None:
        await stop_reading(self._task, self._consumer)
        self._hub.close_all()

    async def wait_for(self, partition: int, offset: int, timeout: float) -> None:
        """Return once the record at `offset` of `partition` is in the read model."""
        if self._next_offsets.get(partition, 0) > offset:
            return
        applied: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters.setdefault(partition, []), (offset, next(self._tiebreak), applied))
        async with asyncio.timeout(timeout):
            await applied

    async def wait_current(self, timeout: float) -> None:
        """Return once everything on the log now is in the read model: a read barrier.

        For a read that found nothing: an execution created through another replica, or whose
        creator's wait timed out, may be on the log already and only a moment from here.
        """
        consumer = self._consumer
        assert consumer is not None, "runner not started"
        async with asyncio.timeout(timeout):
            ends = await consumer.end_offsets([TopicPartition(self._topic, p) for p in self._next_offsets])
            for tp, end in ends.items():
                if end > 0:
                    await self.wait_for(tp.partition, end - 1, timeout)

    async def log_reachable(self, timeout: float) -> bool:
        """Whether the broker answers for this runner's topic now (not whether it did once)."""
        consumer = self._consumer
        if consumer is None:
            return False
        try:
            async with asyncio.timeout(timeout):
                await consumer.end_offsets([TopicPartition(self._topic, p) for p in self._next_offsets])
        except (TimeoutError, KafkaError):
            return False
        return True

    async def wait_caught_up(self, timeout: float) -> None:
        async with asyncio.timeout(timeout):
            await self._caught_up.wait()

    async def _run(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            try:
                await self._follow(consumer)
            except Exception:
                # Not a record's fault (those are quarantined one by one): the disk, the broker.
                # Waiting and going on from what was stored loses nothing and skips nothing.
                log.exception("projection of %s failed; going on from its last commit in %g s", self._topic, RETRY_S)
                await asyncio.sleep(RETRY_S)
                for partition, offset in self._next_offsets.items():
                    consumer.seek(TopicPartition(self._topic, partition), offset)

    async def _follow(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=1000, max_records=self._max_batch)
            records = [record for batch in batches.values() for record in batch]
            # The consumer's position, not the last record's offset + 1: transaction markers take
            # offsets no consumer receives, and a partition may end in them.
            positions = {p: await consumer.position(TopicPartition(self._topic, p)) for p in self._next_offsets}
            if records:
                await self._apply(records, positions)
            elif any(positions[p] > offset for p, offset in self._next_offsets.items()):
                self._next_offsets = positions  # only markers passed: nothing to store
                self._release_waiters()
                self._check_caught_up()

    async def _apply(self, records: list[ConsumerRecord], positions: dict[int, int]) -> None:
        logged = [event for event in map(self._decode, records) if event is not None]
        next_offsets = {p: max(offset, positions.get(p, offset)) for p, offset in self._next_offsets.items()}
        for record in records:
            next_offsets[record.partition] = max(next_offsets.get(record.partition, 0), record.offset + 1)
        try:
            transitions = await self._commit(logged, next_offsets)
        except STORE_REFUSED as error:
            log.warning("a batch of %s could not be stored (%r); storing its records one by one", self._topic, error)
            transitions = await self._commit_one_by_one(logged, next_offsets)
        self._next_offsets = next_offsets
        # Only after the commit: a stream never shows what a GET could not.
        self._hub.publish(transitions)
        self._release_waiters()
        self._check_caught_up()

    async def _commit(self, logged: list[LoggedEvent], next_offsets: dict[int, int]) -> list[ExecutionState]:
        folded = fold_batch(await self._store.load_states({item.event.subject for item in logged}), logged)
        await self._store.commit(folded, self._topic, next_offsets)
        for item, reason in folded.rejected:
            self.quarantine.add(item.topic, item.partition, item.offset, reason)
        return folded.transitions

    async def _commit_one_by_one(self, logged: list[LoggedEvent], next_offsets: dict[int, int]) -> list[ExecutionState]:
        """Each record alone, so that the one a reader cannot store is skipped and no other."""
        transitions: list[ExecutionState] = []
        for item in logged:
            past_it = {item.partition: item.offset + 1}
            try:
                transitions += await self._commit([item], past_it)
            except STORE_REFUSED as error:
                self.quarantine.add(item.topic, item.partition, item.offset, f"cannot be stored: {error!r}")
                await self._store.commit(FoldedBatch(states={}), self._topic, past_it)
        await self._store.commit(FoldedBatch(states={}), self._topic, next_offsets)
        return transitions

    def _release_waiters(self) -> None:
        for partition, waiters in self._waiters.items():
            applied_until = self._next_offsets.get(partition, 0)
            while waiters and waiters[0][0] < applied_until:
                _, _, applied = heapq.heappop(waiters)
                if not applied.done():
                    applied.set_result(None)

    def _decode(self, record: ConsumerRecord) -> LoggedEvent | None:
        try:
            event = decode(record.value)
        except UndecodableEvent as error:
            # The handler's consumer group dead-letters it; read models just skip it.
            self.quarantine.add(record.topic, record.partition, record.offset, error.reason)
            return None
        return LoggedEvent(event, record.topic, record.partition, record.offset, record.value)

    def _check_caught_up(self) -> None:
        if all(self._next_offsets.get(p, 0) >= end for p, end in self._start_targets.items()):
            self._caught_up.set()


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("projection runner stopped", exc_info=task.exception())
