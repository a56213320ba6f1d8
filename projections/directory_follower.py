"""Keeps a `Directory` folded from the tenancy topic, in memory, from offset 0.

The topic is small (tenants and keys change rarely), so every process that
authenticates simply reads it all at start and follows it.
"""

from __future__ import annotations

import logging

from aiokafka import ConsumerRecord
from pydantic import ValidationError

from contracts.tenancy import TENANCY_ADAPTER
from projections.directory import Directory, evolve_directory
from projections.follower import ConsumerFactory, LogFollower

log = logging.getLogger(__name__)

PARTITION = 0


class DirectoryFollower:
    """The tenancy directory's sink: in memory, so every start folds the topic from offset 0."""

    def __init__(self, consumer_factory: ConsumerFactory, topic: str) -> None:
        self.directory = Directory()
        self._follower = LogFollower(consumer_factory, topic, self)

    async def start(self, timeout_s: float = 30.0) -> None:
        """Start following, and return once everything already on the topic is folded."""
        await self._follower.start([PARTITION])
        await self._follower.wait_caught_up(timeout_s)

    async def stop(self) -> None:
        await self._follower.stop()

    async def wait_for(self, offset: int, timeout_s: float) -> None:
        await self._follower.wait_for(PARTITION, offset, timeout_s)

    async def stored_positions(self) -> dict[int, int]:
        return {}

    async def apply(self, records: list[ConsumerRecord], next_offsets: dict[int, int]) -> None:
        directory = self.directory
        for record in records:
            try:
                directory = evolve_directory(directory, TENANCY_ADAPTER.validate_json(record.value or b""))
            except ValidationError as error:
                log.warning("skipping undecodable tenancy record %s: %s", record.offset, error.errors()[0]["msg"])
        self.directory = directory
