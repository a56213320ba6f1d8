"""Streaming channels' tokens, followed from the tokens topic and kept in memory for a while.

Live SSE streams subscribe here; a client that joins late or reconnects gets the
tokens it has not seen first. The oldest channels are forgotten beyond a bound.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field

from aiokafka import ConsumerRecord
from pydantic import ValidationError

from contracts.tokens import StreamedToken
from projections.follower import ConsumerFactory, LogFollower

log = logging.getLogger(__name__)


@dataclass
class Channel:
    tenant_id: str
    tokens: dict[int, str] = field(default_factory=dict)
    final_index: int | None = None


class ChannelFollower:
    """The tokens topic's sink, in memory: every start reads what the topic still keeps."""

    def __init__(self, consumer_factory: ConsumerFactory, topic: str, max_channels: int = 1000) -> None:
        self._max_channels = max_channels
        self.channels: OrderedDict[str, Channel] = OrderedDict()
        self._changed: dict[str, set[asyncio.Event]] = defaultdict(set)
        self._follower = LogFollower(consumer_factory, topic, self)

    async def start(self, partitions: list[int]) -> None:
        await self._follower.start(partitions)

    async def stop(self) -> None:
        await self._follower.stop()

    async def stored_positions(self) -> dict[int, int]:
        # Offset 0 may be past retention: the reader's `auto_offset_reset="earliest"` takes
        # the oldest still kept.
        return {}

    async def apply(self, records: list[ConsumerRecord], next_offsets: dict[int, int]) -> None:
        for record in records:
            try:
                self._add(StreamedToken.model_validate_json(record.value or b""))
            except ValidationError:
                log.warning("skipping undecodable token record %s:%s", record.partition, record.offset)

    def watch(self, channel_id: str) -> asyncio.Event:
        """An event set whenever the channel gets tokens; call `unwatch` when done."""
        changed = asyncio.Event()
        self._changed[channel_id].add(changed)
        return changed

    def unwatch(self, channel_id: str, changed: asyncio.Event) -> None:
        self._changed[channel_id].discard(changed)
        if not self._changed[channel_id]:
            del self._changed[channel_id]

    def _add(self, token: StreamedToken) -> None:
        channel = self.channels.get(token.channel_id) or Channel(tenant_id=token.tenant_id)
        self.channels[token.channel_id] = channel
        self.channels.move_to_end(token.channel_id)
        channel.tokens[token.index] = token.token
        if token.final:
            channel.final_index = token.index
        while len(self.channels) > self._max_channels:
            self.channels.popitem(last=False)
        for changed in self._changed.get(token.channel_id, ()):
            changed.set()
