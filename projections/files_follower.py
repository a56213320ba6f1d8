"""Keeps a `FileStore` up to date with the files topic, resuming where the store ends."""

from __future__ import annotations

import logging

from aiokafka import ConsumerRecord
from pydantic import ValidationError

from contracts.files import FILES_ADAPTER, FileExtracted
from projections.file_store import FileStore
from projections.follower import ConsumerFactory, LogFollower

log = logging.getLogger(__name__)

PARTITION = 0


class FilesFollower:
    """The file store's sink: extracted files, resumed where the store's rows end."""

    def __init__(self, consumer_factory: ConsumerFactory, topic: str, store: FileStore) -> None:
        self._topic = topic
        self.store = store
        self._follower = LogFollower(consumer_factory, topic, self)

    async def start(self) -> None:
        await self._follower.start([PARTITION])

    async def stop(self) -> None:
        await self._follower.stop()

    async def wait_for(self, offset: int, timeout_s: float) -> None:
        """Return once the record at `offset` is in the store."""
        await self._follower.wait_for(PARTITION, offset, timeout_s)

    async def wait_caught_up(self, timeout_s: float) -> None:
        """Return once everything on the topic now is in the store: a file missing then does not exist."""
        await self._follower.wait_current(timeout_s)

    async def stored_positions(self) -> dict[int, int]:
        return {PARTITION: await self.store.next_offset(self._topic)}

    async def apply(self, records: list[ConsumerRecord], next_offsets: dict[int, int]) -> None:
        events = [event for r in records if (event := _decoded(r.offset, r.value)) is not None]
        await self.store.commit(events, self._topic, next_offsets[PARTITION])


def _decoded(offset: int, value: bytes | None) -> FileExtracted | None:
    try:
        return FILES_ADAPTER.validate_json(value or b"")
    except ValidationError as error:
        log.warning("skipping undecodable files record %s: %s", offset, error.errors()[0]["msg"])
        return None
