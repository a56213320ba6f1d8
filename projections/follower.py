"""The one way this project follows a topic: from a sink's stored position, batch by batch.

Every reader of the log (the executions read model, the tenancy directory, the files store,
the streaming channels) is a `Sink` behind a `LogFollower`. The follower owns what they all
need and used to write four times: assigning partitions without a consumer group, seeking to
where the sink's state ends, telling when a given offset or the log's current end is applied,
and going on after a failure from what the sink last stored.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import Callable
from typing import Protocol

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from projections.kafka_client import stop_reading

log = logging.getLogger(__name__)

ConsumerFactory = Callable[[], AIOKafkaConsumer]
Waiter = tuple[int, int, "asyncio.Future[None]"]
RETRY_S = 1.0


class Sink(Protocol):
    """What a follower feeds: a read model of some topic."""

    async def stored_positions(self) -> dict[int, int]:
        """Next offset per partition that the sink's state already includes (absent: 0)."""
        ...

    async def apply(self, records: list[ConsumerRecord], next_offsets: dict[int, int]) -> None:
        """Take these records in; afterwards the state includes everything before `next_offsets`.

        A record the sink cannot read is the sink's to skip (and report): raising means the
        sink itself failed, and the follower retries from `stored_positions`.
        """
        ...


class LogFollower:
    def __init__(self, consumer_factory: ConsumerFactory, topic: str, sink: Sink, max_batch: int = 2000) -> None:
        self._consumer_factory = consumer_factory
        self.topic = topic
        self._sink = sink
        self._max_batch = max_batch
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._next_offsets: dict[int, int] = {}
        self._start_targets: dict[int, int] = {}
        self._caught_up = asyncio.Event()
        self._waiters: dict[int, list[Waiter]] = {}
        self._tiebreak = itertools.count()

    @property
    def caught_up(self) -> bool:
        """True once everything on the log at start-up has been applied."""
        return self._caught_up.is_set()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def progress(self) -> tuple[int, int]:
        """Offsets applied of those on the log at start-up (all of them for a fresh sink)."""
        applied = sum(min(self._next_offsets.get(p, 0), end) for p, end in self._start_targets.items())
        return applied, sum(self._start_targets.values())

    async def start(self, partitions: list[int]) -> None:
        consumer = self._consumer = self._consumer_factory()
        await consumer.start()
        tps = [TopicPartition(self.topic, p) for p in partitions]
        consumer.assign(tps)
        stored = await self._sink.stored_positions()
        for tp in tps:
            self._next_offsets[tp.partition] = stored.get(tp.partition, 0)
            consumer.seek(tp, self._next_offsets[tp.partition])
        ends = await consumer.end_offsets(tps)
        self._start_targets = {tp.partition: offset for tp, offset in ends.items()}
        self._check_caught_up()
        self._task = asyncio.create_task(self._run(consumer), name=f"follow:{self.topic}")
        self._task.add_done_callback(_log_crash)

    async def stop(self) -> None:
        await stop_reading(self._task, self._consumer)

    async def wait_for(self, partition: int, offset: int, timeout: float) -> None:
        """Return once the record at `offset` of `partition` is applied."""
        if self._next_offsets.get(partition, 0) > offset:
            return
        loop = asyncio.get_running_loop()
        applied: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._waiters.setdefault(partition, []), (offset, next(self._tiebreak), applied))
        # A timer on the future, not `asyncio.timeout`: every creation waits here, and the
        # context manager cost ~2 % of the gateway's CPU.
        expiry = loop.call_later(timeout, _expire, applied)
        try:
            await applied
        finally:
            expiry.cancel()

    async def wait_current(self, timeout: float) -> None:
        """Return once everything on the log now is applied: a read barrier.

        For a read that found nothing: what another process wrote a moment ago may be on the
        log already and only a moment from here.
        """
        consumer = self._consumer
        assert consumer is not None, "follower not started"
        async with asyncio.timeout(timeout):
            ends = await consumer.end_offsets([TopicPartition(self.topic, p) for p in self._next_offsets])
            for tp, end in ends.items():
                if end > 0:
                    await self.wait_for(tp.partition, end - 1, timeout)

    async def wait_caught_up(self, timeout: float) -> None:
        async with asyncio.timeout(timeout):
            await self._caught_up.wait()

    async def log_reachable(self, timeout: float) -> bool:
        """Whether the broker answers for this topic now (not whether it did once)."""
        consumer = self._consumer
        if consumer is None:
            return False
        try:
            async with asyncio.timeout(timeout):
                await consumer.end_offsets([TopicPartition(self.topic, p) for p in self._next_offsets])
        except (TimeoutError, KafkaError):
            return False
        return True

    async def _run(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            try:
                await self._follow(consumer)
            except Exception:
                # Not a record's fault (sinks skip those one by one): the disk, the broker.
                # Waiting and going on from what was stored loses nothing and skips nothing.
                log.exception("following %s failed; going on from its stored position in %g s", self.topic, RETRY_S)
                await asyncio.sleep(RETRY_S)
                stored = await self._sink.stored_positions()
                for partition in self._next_offsets:
                    self._next_offsets[partition] = max(self._next_offsets[partition], stored.get(partition, 0))
                    consumer.seek(TopicPartition(self.topic, partition), self._next_offsets[partition])

    async def _follow(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=1000, max_records=self._max_batch)
            records = [record for batch in batches.values() for record in batch]
            # The consumer's position, not the last record's offset + 1: transaction markers take
            # offsets no consumer receives, and a partition may end in them.
            positions = {p: await consumer.position(TopicPartition(self.topic, p)) for p in self._next_offsets}
            next_offsets = {p: max(offset, positions.get(p, offset)) for p, offset in self._next_offsets.items()}
            for record in records:
                next_offsets[record.partition] = max(next_offsets[record.partition], record.offset + 1)
            if records:
                await self._sink.apply(records, next_offsets)
            elif next_offsets == self._next_offsets:
                continue  # nothing new, not even a marker
            self._next_offsets = next_offsets
            self._release_waiters()
            self._check_caught_up()

    def _release_waiters(self) -> None:
        for partition, waiters in self._waiters.items():
            applied_until = self._next_offsets.get(partition, 0)
            while waiters and waiters[0][0] < applied_until:
                _, _, applied = heapq.heappop(waiters)
                if not applied.done():
                    applied.set_result(None)

    def _check_caught_up(self) -> None:
        if all(self._next_offsets.get(p, 0) >= end for p, end in self._start_targets.items()):
            self._caught_up.set()


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("log follower %s stopped", task.get_name(), exc_info=task.exception())
