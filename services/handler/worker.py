"""Runs each execution as its own task beside the consumer, never blocking its poll loop.

The consumer hands over batches of records; the worker folds them, launches
runs once a partition has caught up with the log, answers cancellation
requests, and says which offsets are safe to commit.

A record no reader can apply (undecodable, or an event `evolve` rejects) is dead-lettered
on its own and reading goes on. A write given up on, or a dead letter that cannot be
written, loses the partition instead: what the worker holds may then be ahead of the log,
so it reads and writes nothing more there until the consumer group hands the partition out
again and it is folded back from the committed low watermark.
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

from contracts.codec import UndecodableEvent, decode, routing
from contracts.envelope import Envelope
from contracts.events import (
    ExecutionCancellationRequested,
    ExecutionCompleted,
    ExecutionCreated,
    ExecutionEvent,
    ExecutionProgressed,
    ExecutionPromotedToExample,
    ExecutionStarted,
)
from projections.state import ExecutionState, InvalidTransition, Status, evolve, is_duplicate
from services.handler import lifecycle
from services.handler.dead_letters import Cause, DeadLetterFailed, DeadLetters, Rejection
from services.handler.ordered_writer import Fenced, GaveUp
from services.handler.plugins.base import FileSource, PipelineContext, PipelineError, Plugin, Progress
from services.handler.settings import HandlerSettings
from services.handler.token_sink import TokenPublisher
from services.handler.tracking import PartitionProgress, Tracked
from services.kafka_io import PublishFailed
from services.log_limits import EVERY_TIME
from services.log_setup import service_lines

log = logging.getLogger(__name__)

ASSIGNMENT_WAIT_S = 60.0
ECHO_TYPES = frozenset(t.model_fields["type"].default for t in (ExecutionStarted, ExecutionProgressed))

Clock = Callable[[], datetime]
LostPartition = Callable[[int], None]
"""Told the partition whose writes were abandoned; it asks the consumer group to hand it out again."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class Publisher(Protocol):
    def submit(self, event: Envelope) -> asyncio.Future[RecordMetadata]:
        """Queue the event behind those submitted before it; the future says when it landed."""
        ...


WriterFor = Callable[[int], Publisher]
"""The publisher of an owned partition's lifecycle events."""


class PartitionLost(Exception):
    """A write to this partition was abandoned: its runs stop, and resume once it is handed out again."""


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
        on_lost: LostPartition = lambda partition: None,
    ) -> None:
        self._writers = writers
        self.dead_letters = dead_letters
        self._on_lost = on_lost
        self._plugins = plugins
        self._settings = settings
        self._clock = clock
        self._tokens = tokens
        self._files = files
        self._actor = f"handler/{settings.instance_id}"
        self._lines = service_lines("handler")
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
        """Apply each record; one that cannot be applied is quarantined alone, never the batch."""
        for record in records:
            progress = await self._progress_of(record.partition)
            if progress is None:
                log.warning("record %s:%s of a partition not assigned here; skipped", record.partition, record.offset)
                continue
            if progress.lost or record.offset < progress.next_offset:
                continue  # delivered twice, or to be read again once the partition is handed out again
            rejection = self._take(progress, record)
            if rejection is not None and not await self._quarantine(progress, record, rejection):
                continue  # the partition is lost: this record is read again
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

    def _take(self, progress: PartitionProgress, record: ConsumerRecord) -> Rejection | None:
        if _is_own_echo(progress, record):
            return None
        try:
            return self._apply(progress, record.offset, decode(record.value))
        except UndecodableEvent as error:
            return Rejection(Cause.UNDECODABLE, error.reason)
        except Exception as error:  # a bug of ours must not stall the partition behind this record
            log.exception("cannot apply %s:%s", record.partition, record.offset)
            return Rejection(Cause.HANDLER_ERROR, f"{type(error).__name__}: {error}")

    async def _quarantine(self, progress: PartitionProgress, record: ConsumerRecord, rejection: Rejection) -> bool:
        """Dead-letter the record; False when that failed and the partition is lost instead."""
        try:
            # Before the end found at assignment, an earlier owner may have dead-lettered it already.
            await self.dead_letters.send(record, rejection, reread=record.offset < progress.catch_up_until)
        except DeadLetterFailed as error:
            self._lose(progress, f"record {record.offset} could not be dead-lettered: {error}")
            return False
        return True

    def _apply(self, progress: PartitionProgress, offset: int, event: ExecutionEvent) -> Rejection | None:
        tracked = progress.executions.get(event.subject)
        if isinstance(event, ExecutionCreated):
            return self._track(progress, offset, event)
        if tracked is None:
            return _judge_untracked(progress, offset, event)
        if is_duplicate(tracked.state, event):
            if isinstance(event, ExecutionCompleted) and _is_our_completed(tracked, event):
                progress.finish(tracked)  # it is durable now
            return None
        before = tracked.state
        try:
            tracked.state = evolve(before, event)
        except InvalidTransition as error:
            return _rejection(before, event, error)
        if isinstance(event, ExecutionCompleted):
            progress.finish(tracked)
        elif isinstance(event, ExecutionCancellationRequested) and tracked.state is not before and progress.launched:
            self._cancel(tracked, event)
        return None

    def _track(self, progress: PartitionProgress, offset: int, event: ExecutionCreated) -> Rejection | None:
        known = progress.executions.get(event.subject) or progress.finished.get(event.subject)
        if known is not None:
            if known.created_id == event.id:
                return None  # the same Created sent twice: readers skip it by sequence
            return Rejection(Cause.DUPLICATE_CREATED, f"execution {event.subject} already exists")
        try:
            state = evolve(None, event)
        except InvalidTransition as error:
            return Rejection(Cause.INVALID_TRANSITION, str(error))
        tracked = Tracked(state=state, partition=progress.partition, created_offset=offset, created_id=event.id)
        progress.executions[event.subject] = tracked
        if progress.launched:
            self._launch(tracked)
        return None

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
            await self._finish(tracked, lifecycle.cancel(state, self._context()))
            return
        plugin = self._plugins.get(state.pipeline_handler_type)
        if plugin is None:
            message = f"PipelineFailed: no handler for type '{state.pipeline_handler_type}'"
            await self._finish(tracked, lifecycle.fail(state, self._context(), message))
            return
        if state.status is Status.PENDING:
            self._emit(tracked, lifecycle.start(state, self._context(), plugin.start_output(state)))
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
            self._settings.allow_tenant_code_steps,
        )
        try:
            async with asyncio.timeout(remaining_s) as deadline:
                result = await plugin.run(ctx)
        except TimeoutError:
            if not deadline.expired():
                raise
            await self._time_out(tracked)
        except PipelineError as error:
            await self._finish(tracked, lifecycle.fail(tracked.state, self._context(), str(error)))
        except (Fenced, PartitionLost):
            raise
        except Exception as error:
            log.exception("pipeline %s failed", tracked.state.execution_id)
            message = f"PipelineFailed: {type(error).__name__}: {error}"
            await self._finish(tracked, lifecycle.fail(tracked.state, self._context(), message))
        else:
            event = lifecycle.succeed(
                tracked.state, self._context(), result.output, result.citations, result.handler_output
            )
            await self._finish(tracked, event)

    async def _time_out(self, tracked: Tracked) -> None:
        message = f"PipelineTimeout: execution exceeded the {self._settings.deadline_s:g} s limit"
        await self._finish(tracked, lifecycle.fail(tracked.state, self._context(), message))

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
            self._emit(tracked, lifecycle.progress(state, self._context(), pct, message))

        return report

    async def _answer_cancel(
        self, tracked: Tracked, running: asyncio.Task[None] | None, request: ExecutionCancellationRequested
    ) -> None:
        if running is not None and not running.done():
            await _cancel_all([running])
        if not tracked.state.status.is_terminal:
            ctx = self._context(causation_id=request.id)
            await self._finish(tracked, lifecycle.cancel(tracked.state, ctx))

    # -- writing -------------------------------------------------------------

    def _context(self, causation_id: str | None = None) -> lifecycle.EventContext:
        return lifecycle.EventContext(
            now=self._clock(), event_id=str(uuid.uuid4()), actor=self._actor, causation_id=causation_id
        )

    def _emit(self, tracked: Tracked, event: Envelope) -> asyncio.Future[RecordMetadata]:
        """Number the event into the run's state and queue it on the partition's writer, which
        lands it after every event queued before it. The run goes on at once: a write given up
        on loses the partition (`_landed`), and the run's next event is then refused."""
        if not self._is_current(tracked):
            raise PartitionLost(f"{event.type} of {event.subject} not sent: its partition was handed over or lost")
        tracked.state = state = evolve(tracked.state, event)  # type: ignore[arg-type]
        landing = self._writers(tracked.partition).submit(event)
        landing.add_done_callback(lambda done: self._landed(tracked, event, state, done))
        return landing

    async def _finish(self, tracked: Tracked, event: Envelope) -> None:
        """A run's last event: the run ends once it is on the log (or the partition is lost)."""
        landing = self._emit(tracked, event)
        try:
            # Shielded: once numbered, an event must reach the log even if the run is cancelled.
            await asyncio.shield(landing)
        except Fenced:
            raise  # another handler owns the execution now; it resumes it from the log
        except PublishFailed as error:
            raise PartitionLost(f"{event.type} of {event.subject} not written: {error}") from error

    def _landed(
        self, tracked: Tracked, event: Envelope, state: ExecutionState, landing: asyncio.Future[RecordMetadata]
    ) -> None:
        if landing.cancelled():
            return
        error = landing.exception()
        if isinstance(error, GaveUp):
            # Its state is ahead of the log now: only a rebuild from the log can go on from here.
            self._lose(self.partitions.get(tracked.partition), f"gave up writing {event.type} of {event.subject}",
                       tracked)  # fmt: skip
        elif error is None and not isinstance(event, ExecutionProgressed) and log.isEnabledFor(logging.INFO):
            # A line per state change, not per progress report.
            self._lines.info_line(log.name, f"execution={state.execution_id} status={state.status.value} "
                                  f"sequence={state.sequence} correlation={state.correlation_id} "
                                  f"pipeline={state.pipeline_id}")  # fmt: skip

    def _is_current(self, tracked: Tracked) -> bool:
        """Whether the run belongs to its partition's present assignment, which is not lost."""
        progress = self.partitions.get(tracked.partition)
        current = progress is not None and progress.executions.get(tracked.state.execution_id) is tracked
        return current and progress is not None and not progress.lost

    def _lose(self, progress: PartitionProgress | None, why: str, tracked: Tracked | None = None) -> None:
        """Stop reading and writing the partition, and ask the group to hand it out again: its
        next assignment folds it back from the committed low watermark and resumes its runs."""
        if progress is None or progress.lost or progress is not self.partitions.get(progress.partition):
            return
        if tracked is not None and progress.executions.get(tracked.state.execution_id) is not tracked:
            return  # a run of an earlier assignment: the partition was rebuilt since
        progress.lost = True
        log.error("partition %s: %s; asking the consumer group to hand it out again", progress.partition, why,
                  extra=EVERY_TIME)  # fmt: skip
        self._on_lost(progress.partition)


def _judge_untracked(progress: PartitionProgress, offset: int, event: ExecutionEvent) -> Rejection | None:
    finished = progress.finished.get(event.subject)
    if finished is not None:
        if event.sequence is None:
            succeeded = finished.status is Status.SUCCEEDED
            if isinstance(event, ExecutionPromotedToExample) and not succeeded:
                return Rejection(Cause.INVALID_TRANSITION, f"execution {event.subject} is {finished.status.value}")
            return None  # a cancellation that crossed the Completed: nothing to do
        if event.sequence <= finished.sequence:
            return None  # a retried send that landed twice
        cause = Cause.SEQUENCE_GAP if event.sequence > finished.sequence + 1 else Cause.INVALID_TRANSITION
        return Rejection(cause, f"{event.type} #{event.sequence}: execution {event.subject} already "
                                f"{finished.status.value} at #{finished.sequence}")  # fmt: skip
    if event.sequence is not None and offset >= progress.catch_up_until:
        # Written while we own the partition, and after Created only we number events.
        return Rejection(Cause.UNKNOWN_EXECUTION, f"{event.type} for unknown execution {event.subject}")
    return None  # its execution may have finished before our low watermark: we cannot tell


def _is_our_completed(tracked: Tracked, event: ExecutionCompleted) -> bool:
    """The Completed we numbered for it read back (or one with its sequence: readers keep the first)."""
    return tracked.state.status.is_terminal and event.sequence == tracked.state.sequence


def _rejection(state: ExecutionState, event: ExecutionEvent, error: InvalidTransition) -> Rejection:
    gap = event.sequence is not None and event.sequence > state.sequence + 1
    return Rejection(Cause.SEQUENCE_GAP if gap else Cause.INVALID_TRANSITION, str(error))


def _is_own_echo(progress: PartitionProgress, record: ConsumerRecord) -> bool:
    """An event this worker wrote, read back: known from its headers, not worth parsing.

    Only progress and start events qualify; a read-back `Completed` must still be
    seen, as it is what finishes the execution for the watermark. Headers another
    producer garbled say nothing: the value decides then.
    """
    hints = routing(record.headers)
    tracked = progress.executions.get(hints.subject) if hints.subject is not None else None
    if tracked is None or hints.sequence is None or hints.type not in ECHO_TYPES:
        return False
    return hints.sequence <= tracked.state.sequence


async def _unless_fenced(run: Coroutine[Any, Any, None]) -> None:
    """A run stops quietly once its partition is fenced or lost: its next owner resumes it."""
    try:
        await run
    except (Fenced, PartitionLost) as error:
        log.warning("run stopped: %s", error)


async def _cancel_all(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
