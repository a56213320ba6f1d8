"""Runs each execution as its own task beside the consumer, never blocking its poll loop.

The consumer hands over batches of records; the worker folds them, launches
runs once a partition has caught up with the log, answers cancellation
requests, and says which offsets are safe to commit.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, Protocol

from aiokafka import ConsumerRecord
from aiokafka.structs import RecordMetadata

from contracts.codec import UndecodableEvent, decode
from contracts.envelope import Envelope
from contracts.events import (
    ExecutionCancellationRequested,
    ExecutionCompleted,
    ExecutionCreated,
    ExecutionEvent,
)
from projections.state import InvalidTransition, Status, evolve, is_duplicate
from services.handler import lifecycle
from services.handler.dead_letters import DeadLetters
from services.handler.partition_writer import Fenced
from services.handler.plugins.base import FileSource, PipelineContext, PipelineError, Plugin, Progress
from services.handler.settings import HandlerSettings
from services.handler.token_sink import TokenPublisher
from services.handler.tracking import PartitionProgress, Tracked
from services.kafka_io import PublishFailed

log = logging.getLogger(__name__)

ASSIGNMENT_WAIT_S = 60.0
COMPLETED_TYPE = ExecutionCompleted.model_fields["type"].default.encode()

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Publisher(Protocol):
    async def publish(self, event: Envelope) -> RecordMetadata: ...


WriterFor = Callable[[int], Publisher]
"""The publisher of an owned partition's lifecycle events."""


class Worker:
    def __init__(
        self,
        writers: WriterFor,
        dead_letters: DeadLetters,
        plugins: dict[str, Plugin],
        settings: HandlerSettings,
        clock: Clock = utc_now,
        tokens: TokenPublisher | None = None,
        files: FileSource | None = None,
    ) -> None:
        self._writers = writers
        self._dead_letters = dead_letters
        self._plugins = plugins
        self._settings = settings
        self._clock = clock
        self._tokens = tokens
        self._files = files
        self._actor = f"handler/{settings.instance_id}"
        self.partitions: dict[int, PartitionProgress] = {}
        self._pending: dict[int, asyncio.Event] = {}

    # -- ownership -----------------------------------------------------------

    def expect(self, partitions: list[int]) -> None:
        """Partitions are being assigned: their records wait until `assign` gives their bounds.

        aiokafka starts fetching before the assignment listener has finished reading offsets.
        """
        for partition in partitions:
            self._pending.setdefault(partition, asyncio.Event())

    def assign(self, partition: int, start_offset: int, end_offset: int) -> None:
        progress = PartitionProgress(partition, catch_up_until=end_offset, next_offset=start_offset)
        self.partitions[partition] = progress
        self._pending.pop(partition, asyncio.Event()).set()
        self._launch_if_caught_up(progress)

    async def revoke(self, partition: int) -> int | None:
        """Stop this partition's runs without completing them; the next owner resumes them."""
        self._pending.pop(partition, asyncio.Event()).set()
        progress = self.partitions.pop(partition, None)
        if progress is None:
            return None
        await _cancel_all(progress.tasks())
        return progress.low_watermark()

    async def stop(self) -> None:
        await _cancel_all([task for p in self.partitions.values() for task in p.tasks()])

    def offsets_to_commit(self) -> dict[int, int]:
        changed = {}
        for partition, progress in self.partitions.items():
            watermark = progress.low_watermark()
            if watermark != progress.committed:
                changed[partition] = watermark
        return changed

    def mark_committed(self, offsets: dict[int, int]) -> None:
        for partition, offset in offsets.items():
            if partition in self.partitions:
                self.partitions[partition].committed = offset

    # -- the log -------------------------------------------------------------

    async def handle(self, records: list[ConsumerRecord]) -> None:
        for record in records:
            progress = await self._progress_of(record.partition)
            if progress is None:
                log.warning("record %s:%s of a partition not assigned here; skipped", record.partition, record.offset)
                continue
            if record.offset < progress.next_offset:
                continue  # delivered twice
            if _is_own_echo(progress, record):
                progress.next_offset = record.offset + 1
                continue
            try:
                event = decode(record.value)
            except UndecodableEvent as error:
                await self._dead_letters.send(record, error.reason)
            else:
                self._apply(progress, record.offset, event)
            progress.next_offset = record.offset + 1
            self._launch_if_caught_up(progress)

    async def _progress_of(self, partition: int) -> PartitionProgress | None:
        pending = self._pending.get(partition)
        if pending is not None:
            try:
                async with asyncio.timeout(ASSIGNMENT_WAIT_S):
                    await pending.wait()
            except TimeoutError:
                log.error("partition %s was never given its offsets; its records are skipped", partition)
        return self.partitions.get(partition)

    def _apply(self, progress: PartitionProgress, offset: int, event: ExecutionEvent) -> None:
        tracked = progress.executions.get(event.subject)
        if isinstance(event, ExecutionCreated):
            if tracked is None:
                self._track(progress, offset, event)
            return
        if tracked is None:
            return  # finished before our watermark
        if is_duplicate(tracked.state, event):
            if isinstance(event, ExecutionCompleted):
                del progress.executions[event.subject]  # our own Completed is now durable
            return
        before = tracked.state
        try:
            tracked.state = evolve(before, event)
        except InvalidTransition as error:
            log.warning("ignoring %s at offset %s: %s", event.type, offset, error)
            return
        if isinstance(event, ExecutionCompleted):
            del progress.executions[event.subject]
        elif isinstance(event, ExecutionCancellationRequested) and tracked.state is not before and progress.launched:
            self._cancel(tracked, event)

    def _track(self, progress: PartitionProgress, offset: int, event: ExecutionCreated) -> None:
        try:
            state = evolve(None, event)
        except InvalidTransition as error:
            log.warning("ignoring %s at offset %s: %s", event.type, offset, error)
            return
        tracked = Tracked(state=state, partition=progress.partition, created_offset=offset)
        progress.executions[event.subject] = tracked
        if progress.launched:
            self._launch(tracked)

    def _launch_if_caught_up(self, progress: PartitionProgress) -> None:
        if progress.launched or not progress.caught_up:
            return
        progress.launched = True
        for tracked in progress.executions.values():
            self._launch(tracked)

    def _launch(self, tracked: Tracked) -> None:
        name = f"execution:{tracked.state.execution_id}"
        tracked.task = asyncio.create_task(_unless_fenced(self._execute(tracked)), name=name)

    def _cancel(self, tracked: Tracked, request: ExecutionCancellationRequested) -> None:
        running = tracked.task
        tracked.task = asyncio.create_task(_unless_fenced(self._answer_cancel(tracked, running, request)))

    # -- running one execution ---------------------------------------------------

    async def _execute(self, tracked: Tracked) -> None:
        state = tracked.state
        if state.cancel_requested_at is not None:
            await self._emit(tracked, lifecycle.cancel(state, self._context()))
            return
        plugin = self._plugins.get(state.pipeline_handler_type)
        if plugin is None:
            message = f"PipelineFailed: no handler for type '{state.pipeline_handler_type}'"
            await self._emit(tracked, lifecycle.fail(state, self._context(), message))
            return
        if state.status is Status.PENDING:
            await self._emit(tracked, lifecycle.start(state, self._context(), plugin.start_output(state)))
        await self._run_plugin(tracked, plugin)

    async def _run_plugin(self, tracked: Tracked, plugin: Plugin) -> None:
        remaining_s = self._remaining_s(tracked)
        if remaining_s <= 0:
            await self._time_out(tracked)  # e.g. resumed after the deadline passed
            return
        ctx = PipelineContext(
            tracked.state,
            self._progress_reporter(tracked),
            self._settings.step_delay_s,
            self._settings.llm,
            self._tokens.sink_for(tracked.state) if self._tokens else None,
            self._files,
        )
        try:
            async with asyncio.timeout(remaining_s) as deadline:
                result = await plugin.run(ctx)
        except TimeoutError:
            if not deadline.expired():
                raise
            await self._time_out(tracked)
        except PipelineError as error:
            await self._emit(tracked, lifecycle.fail(tracked.state, self._context(), str(error)))
        except Fenced:
            raise
        except Exception as error:
            log.exception("pipeline %s failed", tracked.state.execution_id)
            message = f"PipelineFailed: {type(error).__name__}: {error}"
            await self._emit(tracked, lifecycle.fail(tracked.state, self._context(), message))
        else:
            event = lifecycle.succeed(
                tracked.state, self._context(), result.output, result.citations, result.handler_output
            )
            await self._emit(tracked, event)

    async def _time_out(self, tracked: Tracked) -> None:
        message = f"PipelineTimeout: execution exceeded the {self._settings.deadline_s:g} s limit"
        await self._emit(tracked, lifecycle.fail(tracked.state, self._context(), message))

    def _remaining_s(self, tracked: Tracked) -> float:
        started = tracked.state.started_at or self._clock()
        return max(0.0, self._settings.deadline_s - (self._clock() - started).total_seconds())

    def _progress_reporter(self, tracked: Tracked) -> Progress:
        last_sent = -float("inf")

        async def report(pct: int, message: str) -> None:
            nonlocal last_sent
            state = tracked.state
            if state.status is not Status.RUNNING:
                return
            if state.progress_message is not None and pct <= state.progress_pct:
                return  # a resumed run replaying steps it already reported
            now = time.monotonic()
            if now - last_sent < self._settings.progress_interval_s:
                return  # throttled: a chatty plugin must not flood the log
            last_sent = now
            await self._emit(tracked, lifecycle.progress(state, self._context(), pct, message))

        return report

    async def _answer_cancel(
        self, tracked: Tracked, running: asyncio.Task[None] | None, request: ExecutionCancellationRequested
    ) -> None:
        if running is not None and not running.done():
            await _cancel_all([running])
        if not tracked.state.status.is_terminal:
            ctx = self._context(causation_id=request.id)
            await self._emit(tracked, lifecycle.cancel(tracked.state, ctx))

    # -- writing -------------------------------------------------------------

    def _context(self, causation_id: str | None = None) -> lifecycle.EventContext:
        return lifecycle.EventContext(
            now=self._clock(), event_id=str(uuid.uuid4()), actor=self._actor, causation_id=causation_id
        )

    async def _emit(self, tracked: Tracked, event: Envelope) -> None:
        tracked.state = evolve(tracked.state, event)  # type: ignore[arg-type]
        # Shielded: once numbered, an event must reach the log even if the run is cancelled.
        await asyncio.shield(self._publish(tracked.partition, event))

    async def _publish(self, partition: int, event: Envelope) -> None:
        for attempt in range(1, self._settings.publish_attempts + 1):
            try:
                await self._writers(partition).publish(event)
                return
            except Fenced:
                raise  # another handler owns the execution now; it resumes it from the log
            except PublishFailed as error:
                # Resending the same event is safe: readers skip repeats by sequence.
                log.warning("attempt %s: %s", attempt, error)
                await asyncio.sleep(min(2.0**attempt, 10.0))
        log.error("gave up on %s for %s; the next owner of its partition resumes it", event.type, event.subject)


def _is_own_echo(progress: PartitionProgress, record: ConsumerRecord) -> bool:
    """An event this worker wrote, read back: known from its headers, not worth parsing.

    Only progress and start events qualify; a read-back `Completed` must still be
    seen, as it is what finishes the execution for the watermark.
    """
    headers = dict(record.headers or ())
    tracked = progress.executions.get(headers.get("ce_subject", b"").decode())
    sequence = headers.get("ce_sequence")
    if tracked is None or sequence is None or headers.get("ce_type") == COMPLETED_TYPE:
        return False
    return int(sequence) <= tracked.state.sequence


async def _unless_fenced(run: Coroutine[Any, Any, None]) -> None:
    """A run stops quietly once its partition's writer is fenced: the new owner resumes it."""
    try:
        await run
    except Fenced as error:
        log.warning("%s", error)


async def _cancel_all(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
