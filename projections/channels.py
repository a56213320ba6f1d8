"""Streaming channels' tokens, followed from the tokens topic and kept in memory for a while.

Live SSE streams subscribe here; a client that joins late or reconnects gets the
tokens it has not seen first. The oldest channels are forgotten beyond a bound.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from contracts.tokens import StreamedToken
from projections.kafka_client import stop_reading

log = logging.getLogger(__name__)


@dataclass
class Channel:
    tenant_id: str
    tokens: dict[int, str] = field(default_factory=dict)
    final_index: int | None = None


class ChannelFollower:
    def __init__(self, consumer_factory: Callable[[], AIOKafkaConsumer], topic: str, max_channels: int = 1000) -> None:
        self._consumer_factory = consumer_factory
        self._topic = topic
        self._max_channels = max_channels
        self.channels: OrderedDict[str, Channel] = OrderedDict()
        self._changed: dict[str, set[asyncio.Event]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def start(self, partitions: list[int]) -> None:
        consumer = self._consumer = self._consumer_factory()
        await consumer.start()
        tps = [TopicPartition(self._topic, p) for p in partitions]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        self._task = asyncio.create_task(self._follow(consumer), name=f"channels:{self._topic}")

    async def stop(self) -> None:
        await stop_reading(self._task, self._consumer)

    def watch(self, channel_id: str) -> asyncio.Event:
        """An event set whenever the channel gets tokens; call `unwatch` when done."""
        changed = asyncio.Event()
        self._changed[channel_id].add(changed)
        return changed

    def unwatch(self, channel_id: str, changed: asyncio.Event) -> None:
        self._changed[channel_id].discard(changed)
        if not self._changed[channel_id]:
            del self._changed[channel_id]

    async def _follow(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=1000)
            for record in (r for batch in batches.values() for r in batch):
                try:
                    self._add(StreamedToken.model_validate_json(record.value or b""))
                except ValidationError:
                    log.warning("skipping undecodable token record %s:%s", record.partition, record.offset)

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
