"""Keeps a `FileStore` up to date with the files topic, resuming where the store ends."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from contracts.files import FILES_ADAPTER, FileExtracted
from projections.file_store import FileStore
from projections.kafka_client import stop_reading

log = logging.getLogger(__name__)

PARTITION = 0


class FilesFollower:
    def __init__(self, consumer_factory: Callable[[], AIOKafkaConsumer], topic: str, store: FileStore) -> None:
        self._consumer_factory = consumer_factory
        self._tp = TopicPartition(topic, PARTITION)
        self.store = store
        self._next_offset = 0
        self._applied = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        self._next_offset = await self.store.next_offset(self._tp.topic)
        consumer = self._consumer = self._consumer_factory()
        await consumer.start()
        consumer.assign([self._tp])
        consumer.seek(self._tp, self._next_offset)
        self._task = asyncio.create_task(self._follow(consumer), name=f"files:{self._tp.topic}")

    async def stop(self) -> None:
        await stop_reading(self._task, self._consumer)

    async def wait_for(self, offset: int, timeout_s: float) -> None:
        """Return once the record at `offset` is in the store."""
        async with asyncio.timeout(timeout_s), self._applied:
            await self._applied.wait_for(lambda: self._next_offset > offset)

    async def wait_caught_up(self, timeout_s: float) -> None:
        """Return once everything on the topic now is in the store: a file missing then does not exist."""
        assert self._consumer is not None, "follower not started"
        async with asyncio.timeout(timeout_s):
            end = (await self._consumer.end_offsets([self._tp]))[self._tp]
        if end:
            await self.wait_for(end - 1, timeout_s)

    async def _follow(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=1000)
            records = [r for batch in batches.values() for r in batch]
            if not records:
                continue
            events = [event for r in records if (event := _decoded(r.offset, r.value)) is not None]
            next_offset = records[-1].offset + 1
            await self.store.commit(events, self._tp.topic, next_offset)
            async with self._applied:
                self._next_offset = next_offset
                self._applied.notify_all()


def _decoded(offset: int, value: bytes | None) -> FileExtracted | None:
    try:
        return FILES_ADAPTER.validate_json(value or b"")
    except ValidationError as error:
        log.warning("skipping undecodable files record %s: %s", offset, error.errors()[0]["msg"])
        return None
