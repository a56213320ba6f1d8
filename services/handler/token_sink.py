"""Publishing a streaming execution's tokens to its channel as they are produced."""

from __future__ import annotations

import asyncio
import itertools

from contracts.codec import Record
from contracts.tokens import StreamedToken
from projections.state import ExecutionState
from services.handler.plugins.base import TokenSink
from services.kafka_io import SendFn


class TokenPublisher:
    def __init__(self, send: SendFn, topic: str, timeout_s: float) -> None:
        self._send = send
        self._topic = topic
        self._timeout_s = timeout_s

    def sink_for(self, execution: ExecutionState) -> TokenSink | None:
        """A sink for executions that announced a channel; None for the others."""
        channel = (execution.handler_output or {}).get("streamingChannelId")
        if not isinstance(channel, str):
            return None
        indexes = itertools.count()  # a resumed run re-sends from 0: readers keep one token per index

        async def emit(token: str, final: bool = False) -> None:
            record = StreamedToken(
                channel_id=channel,
                execution_id=execution.execution_id,
                tenant_id=execution.tenant_id,
                index=next(indexes),
                token=token,
                final=final,
            )
            async with asyncio.timeout(self._timeout_s):
                await self._send(
                    self._topic, Record(channel.encode(), record.model_dump_json(by_alias=True).encode(), [])
                )

        return emit
