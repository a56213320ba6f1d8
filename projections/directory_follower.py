"""Keeps a `Directory` folded from the tenancy topic, in memory, from offset 0.

The topic is small (tenants and keys change rarely), so every process that
authenticates simply reads it all at start and follows it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from contracts.tenancy import TENANCY_ADAPTER
from projections.directory import Directory, evolve_directory
from projections.kafka_client import stop_reading

log = logging.getLogger(__name__)

PARTITION = 0


class DirectoryFollower:
    def __init__(self, consumer_factory: Callable[[], AIOKafkaConsumer], topic: str) -> None:
        self._consumer_factory = consumer_factory
        self._tp = TopicPartition(topic, PARTITION)
        self.directory = Directory()
        self._next_offset = 0
        self._applied = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def start(self, timeout_s: float = 30.0) -> None:
        """Start following, and return once everything already on the topic is folded."""
        consumer = self._consumer = self._consumer_factory()
        await consumer.start()
        consumer.assign([self._tp])
        consumer.seek(self._tp, 0)
        end = (await consumer.end_offsets([self._tp]))[self._tp]
        self._task = asyncio.create_task(self._follow(consumer), name=f"directory:{self._tp.topic}")
        if end:
            await self.wait_for(end - 1, timeout_s)

    async def stop(self) -> None:
        await stop_reading(self._task, self._consumer)

    async def wait_for(self, offset: int, timeout_s: float) -> None:
        async with asyncio.timeout(timeout_s), self._applied:
            await self._applied.wait_for(lambda: self._next_offset > offset)

    async def _follow(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=1000)
            directory = self.directory
            last = None
            for record in (r for batch in batches.values() for r in batch):
                try:
                    directory = evolve_directory(directory, TENANCY_ADAPTER.validate_json(record.value or b""))
                except ValidationError as error:
                    log.warning("skipping undecodable tenancy record %s: %s", record.offset, error.errors()[0]["msg"])
                last = record.offset
            if last is not None:
                async with self._applied:
                    self.directory, self._next_offset = directory, last + 1
                    self._applied.notify_all()
