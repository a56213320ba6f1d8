"""Applies the event log to a read model, batch by batch, from its stored position.

Each process that serves queries runs its own runner into its own SQLite file.
It follows every partition through a `LogFollower`: its position lives in the same
SQLite transaction as its rows, and the follower seeks there on start.
"""

from __future__ import annotations

import logging
import sqlite3

from aiokafka import ConsumerRecord

from contracts.codec import UndecodableEvent, decode, routing
from projections.batch import FoldedBatch, LoggedEvent, fold_batch
from projections.follower import ConsumerFactory, LogFollower
from projections.kafka_client import stop_within
from projections.log_reader import records_until
from projections.notifications import ChangeHub
from projections.own_appends import OwnAppends
from projections.quarantine import Quarantine
from projections.read_model import backfill, mark_current
from projections.state import ExecutionState
from projections.store import ReadModel

log = logging.getLogger(__name__)

STORE_REFUSED = (ValueError, OverflowError, TypeError, sqlite3.DataError, sqlite3.IntegrityError)
"""What storing a record that decoded can still raise when the record, not the disk, is at fault."""


class ProjectionRunner:
    """The executions read model's sink: decodes, folds once, commits, then tells live streams."""

    def __init__(
        self,
        consumer_factory: ConsumerFactory,
        store: ReadModel,
        hub: ChangeHub,
        topic: str,
        max_batch: int = 2000,
        own_appends: OwnAppends | None = None,
    ) -> None:
        self._own_appends = own_appends
        self._consumer_factory = consumer_factory
        self._store = store
        self._hub = hub
        self._topic = topic
        self._follower = LogFollower(consumer_factory, topic, self, max_batch)
        self.quarantine = Quarantine()
        self.wait_for = self._follower.wait_for
        self.wait_current = self._follower.wait_current
        self.wait_caught_up = self._follower.wait_caught_up
        self.log_reachable = self._follower.log_reachable
        self.progress = self._follower.progress

    @property
    def caught_up(self) -> bool:
        """True once everything on the log at start-up has been applied."""
        return self._follower.caught_up

    @property
    def running(self) -> bool:
        return self._follower.running

    async def start(self, partition_numbers: list[int]) -> None:
        await self._backfill_stale_projections()
        await self._follower.start(partition_numbers)

    async def _backfill_stale_projections(self) -> None:
        """Projections added (or changed) since the file was written fold the log, in one read,
        up to where the others stand, then join them."""
        stale, self._store.stale_projections = self._store.stale_projections, []
        if not stale:
            return
        until = await self._store.positions(self._topic)
        if not any(until.values()):  # a fresh file: nothing folded yet, so nothing to catch up on
            await mark_current(self._store.writer, stale)
            return
        consumer = self._consumer_factory()
        await consumer.start()
        try:
            await backfill(self._store.writer, stale, records_until(consumer, until, self._topic))
        finally:
            await stop_within(consumer)

    async def stop(self) -> None:
        await self._follower.stop()
        self._hub.close_all()

    async def stored_positions(self) -> dict[int, int]:
        return await self._store.positions(self._topic)

    async def apply(self, records: list[ConsumerRecord], next_offsets: dict[int, int]) -> None:
        await self._apply(records, next_offsets)

    async def _apply(self, records: list[ConsumerRecord], next_offsets: dict[int, int]) -> None:
        logged = [event for event in map(self._decode, records) if event is not None]
        try:
            transitions = await self._commit(logged, next_offsets)
        except STORE_REFUSED as error:
            log.warning("a batch of %s could not be stored (%r); storing its records one by one", self._topic, error)
            transitions = await self._commit_one_by_one(logged, next_offsets)
        # Only after the commit: a stream never shows what a GET could not.
        self._hub.publish(transitions)

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

    def _decode(self, record: ConsumerRecord) -> LoggedEvent | None:
        own = self._own_appends.take(routing(record.headers).id, record.value) if self._own_appends else None
        if own is not None:
            return LoggedEvent(own, record.topic, record.partition, record.offset, record.value)
        try:
            event = decode(record.value)
        except UndecodableEvent as error:
            # The handler's consumer group dead-letters it; read models just skip it.
            self.quarantine.add(record.topic, record.partition, record.offset, error.reason)
            return None
        return LoggedEvent(event, record.topic, record.partition, record.offset, record.value)
