"""Records the handler cannot read go to the dead-letter topic, bytes untouched."""

from __future__ import annotations

import asyncio

from aiokafka import ConsumerRecord

from contracts.codec import Record
from services.kafka_io import SendFn


class DeadLetters:
    def __init__(self, send: SendFn, topic: str, timeout_s: float) -> None:
        self._send = send
        self._topic = topic
        self._timeout_s = timeout_s

    async def send(self, record: ConsumerRecord, reason: str) -> None:
        headers = [
            *(record.headers or ()),
            ("dlq_reason", reason.encode()),
            ("dlq_topic", record.topic.encode()),
            ("dlq_partition", str(record.partition).encode()),
            ("dlq_offset", str(record.offset).encode()),
        ]
        # No catch: a dead letter that cannot be written must stop the handler loudly.
        async with asyncio.timeout(self._timeout_s):
            await self._send(self._topic, Record(record.key or b"", record.value or b"", headers))
