"""One partition's events, written in the order they were numbered, whatever fails on the way.

Events are submitted without waiting and go out in batches, one batch at a time. A batch that
fails is tried again whole, with whatever was submitted meanwhile behind it, so an event never
lands ahead of one submitted before it. That is what lets a run go on without waiting for its
`Started` to land: its next events queue behind it, and a short run's `Completed` often shares
its `Started`'s transaction.

Being fenced, or giving up after the last attempt, fails every queued event and every later
submission: the worker's state is then ahead of the log, and only a rebuild from the log goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiokafka.structs import RecordMetadata

from contracts.codec import Record, encode
from contracts.envelope import Envelope
from services.kafka_io import PublishFailed

log = logging.getLogger(__name__)

BatchWrite = Callable[[list[Record]], Awaitable[list[RecordMetadata]]]
"""Writes records together (one transaction), all or none; raises PublishFailed, or Fenced."""

Pending = tuple[Record, "asyncio.Future[RecordMetadata]"]

MAX_BACKOFF_S = 10.0


class Fenced(PublishFailed):
    """Another handler owns this partition now; nothing more of ours will be recorded."""


class WriterStopped(Fenced):
    """The partition was handed over: this writer sends nothing more, nor takes the id back."""


class GaveUp(PublishFailed):
    """The last attempt failed too: this writer sends nothing more."""


class OrderedWriter:
    def __init__(self, write: BatchWrite, name: str, attempts: int = 5, retry_pause_s: float = 2.0) -> None:
        self._write = write
        self._name = name
        self._attempts = attempts
        self._retry_pause_s = retry_pause_s
        self._queue: list[Pending] = []
        self._flusher: asyncio.Task[None] | None = None
        self._ended: PublishFailed | None = None

    def submit(self, event: Envelope) -> asyncio.Future[RecordMetadata]:
        """Queue the event behind every one submitted before it; the future says when it landed."""
        if self._ended is not None:
            raise type(self._ended)(str(self._ended))
        landing: asyncio.Future[RecordMetadata] = asyncio.get_running_loop().create_future()
        self._queue.append((encode(event), landing))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name=f"writer:{self._name}")
        return landing

    async def publish(self, event: Envelope) -> RecordMetadata:
        """Submit and wait until it landed."""
        return await asyncio.shield(self.submit(event))

    async def stop(self) -> None:
        self._ended = self._ended or WriterStopped(f"the writer of {self._name} stopped")
        if self._flusher is not None:
            self._flusher.cancel()
            await asyncio.gather(self._flusher, return_exceptions=True)
        self._fail(self._ended)

    async def _flush(self) -> None:
        attempt = 0
        while self._queue and self._ended is None:
            batch, self._queue = self._queue, []
            try:
                results = await self._write([record for record, _ in batch])
            except asyncio.CancelledError:
                self._queue = batch + self._queue  # `stop` fails them
                raise
            except Fenced as error:
                self._end(batch, error)
            except Exception as error:  # whatever it was, those waiting on the batch must hear of it
                attempt += 1
                if attempt >= self._attempts:
                    self._end(batch, GaveUp(f"gave up writing to {self._name} after {attempt} attempts: {error}"))
                    continue
                log.warning("attempt %s of %s to write %s events to %s failed: %s",
                            attempt, self._attempts, len(batch), self._name, error)  # fmt: skip
                # Resending is safe: a failed transaction is aborted, and readers skip repeats by sequence.
                self._queue = batch + self._queue
                await asyncio.sleep(min(self._retry_pause_s * 2 ** (attempt - 1), MAX_BACKOFF_S))
            else:
                attempt = 0
                for (_, landing), metadata in zip(batch, results, strict=True):
                    if not landing.done():
                        landing.set_result(metadata)

    def _end(self, batch: list[Pending], error: PublishFailed) -> None:
        self._ended = error
        self._queue = batch + self._queue
        self._fail(error)

    def _fail(self, error: PublishFailed) -> None:
        pending, self._queue = self._queue, []
        for _, landing in pending:
            if not landing.done():
                landing.set_exception(type(error)(str(error)))
