"""The handler's worker against an in-memory log: catch-up, resume, cancel, dead letters."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from aiokafka import ConsumerRecord
from aiokafka.structs import RecordMetadata

from contracts.codec import Record, decode, encode
from contracts.envelope import Envelope
from contracts.events import Outcome
from services.handler.dead_letters import DeadLetters
from services.handler.partition_writer import Fenced
from services.handler.plugins.base import PipelineContext, PipelineResult, Plugin
from services.handler.plugins.registry import default_plugins
from services.handler.settings import HandlerSettings
from services.handler.worker import Publisher, Worker
from services.kafka_io import EventPublisher
from services.kafka_settings import KafkaSettings
from tests.events import T0, cancel_requested, completed, created, progressed, started

TOPIC = "events"


class MemoryLog:
    """What the worker sent, per topic, as records it could read back."""

    def __init__(self) -> None:
        self.sent: dict[str, list[Record]] = {}

    async def send(self, topic: str, record: Record) -> None:
        self.sent.setdefault(topic, []).append(record)

    def events(self) -> list[Envelope]:
        return [decode(r.value) for r in self.sent.get(TOPIC, [])]


def consumer_record(offset: int, record: Record) -> ConsumerRecord:
    return ConsumerRecord(TOPIC, 0, offset, 0, 0, record.key, record.value, None, 0, 0, record.headers)


def as_records(events: list[Envelope], start: int = 0) -> list[ConsumerRecord]:
    return [consumer_record(start + i, encode(e)) for i, e in enumerate(events)]


def make_worker(
    log: MemoryLog,
    now: datetime = T0 + timedelta(seconds=10),
    extra_plugins: tuple[Plugin, ...] = (),
    progress_interval_s: float = 0.0,
    writer: Publisher | None = None,
) -> Worker:
    settings = HandlerSettings(
        kafka=KafkaSettings("unused"), step_delay_s=0, deadline_s=300, progress_interval_s=progress_interval_s
    )
    publisher = writer or EventPublisher(log.send, TOPIC, 1.0)  # type: ignore[arg-type]
    return Worker(
        lambda partition: publisher,
        DeadLetters(log.send, f"{TOPIC}.dlq", 1.0),  # type: ignore[arg-type]
        default_plugins() | {plugin.handler_type: plugin for plugin in extra_plugins},
        settings,
        clock=lambda: now,
    )


async def settle(worker: Worker) -> None:
    for _ in range(50):
        tasks = [t for p in worker.partitions.values() for t in p.tasks()]
        if not tasks:
            return
        await asyncio.gather(*tasks)


async def test_catch_up_runs_only_what_is_unfinished_and_holds_the_watermark() -> None:
    log, history = MemoryLog(), [created("a"), created("b"), started(2, "a"), completed(3, execution_id="a")]
    worker = make_worker(log)
    worker.assign(0, start_offset=0, end_offset=len(history))
    await worker.handle(as_records(history))
    await settle(worker)

    written = log.events()
    assert {e.subject for e in written} == {"b"}
    assert [(e.type, e.sequence) for e in written] == [("execution.started.v1", 2), ("execution.completed.v1", 3)]
    assert worker.offsets_to_commit() == {0: 1}, "b's Created stays uncommitted until its Completed is read"

    await worker.handle(as_records(written, start=len(history)))
    assert worker.offsets_to_commit() == {0: len(history) + len(written)}


async def test_nothing_runs_before_the_partition_has_caught_up() -> None:
    log = MemoryLog()
    worker = make_worker(log)
    worker.assign(0, start_offset=0, end_offset=2)
    await worker.handle(as_records([created("a")]))
    await settle(worker)
    assert log.events() == [], "its Completed may still be ahead in the log"
    await worker.handle(as_records([completed(2, Outcome.CANCELLED, "a")], start=1))
    await settle(worker)
    assert log.events() == []
    assert worker.offsets_to_commit() == {0: 2}


async def test_a_cancel_requested_before_start_completes_as_cancelled_without_starting() -> None:
    log, history = MemoryLog(), [created("a"), cancel_requested("a")]
    worker = make_worker(log)
    worker.assign(0, 0, len(history))
    await worker.handle(as_records(history))
    await settle(worker)
    (only,) = log.events()
    assert (only.type, only.sequence, only.data.outcome) == ("execution.completed.v1", 2, Outcome.CANCELLED)


async def test_a_running_execution_is_resumed_without_repeating_progress() -> None:
    log = MemoryLog()
    history = [created("a", handler_type="language_model"), started(2, "a"), progressed(3, 20, execution_id="a")]
    worker = make_worker(log)
    worker.assign(0, 0, len(history))
    await worker.handle(as_records(history))
    await settle(worker)
    written = log.events()
    assert [e.sequence for e in written] == [4, 5, 6]
    assert [e.data.progress_pct for e in written[:2]] == [50, 80]
    assert written[-1].data.outcome is Outcome.SUCCEEDED
    assert all(e.correlationid == "corr-1" for e in written), "correlation follows the execution"


async def test_the_deadline_counts_from_the_original_start_not_the_resume() -> None:
    log = MemoryLog()
    history = [created("a", handler_type="language_model"), started(2, "a")]
    worker = make_worker(log, now=T0 + timedelta(minutes=6))
    worker.assign(0, 0, len(history))
    await worker.handle(as_records(history))
    await settle(worker)
    (only,) = log.events()
    assert only.data.outcome is Outcome.FAILED
    assert only.data.error_message.startswith("PipelineTimeout")


async def test_progress_from_a_chatty_plugin_is_throttled() -> None:
    async def chatty(ctx: PipelineContext) -> PipelineResult:
        for pct in range(100):
            await ctx.progress(pct, f"step {pct}")
        return PipelineResult(output={})

    log = MemoryLog()
    worker = make_worker(log, extra_plugins=(Plugin("chatty", chatty),), progress_interval_s=0.1)
    worker.assign(0, 0, 1)
    await worker.handle(as_records([created("a", handler_type="chatty")]))
    await settle(worker)
    types = [e.type for e in log.events()]
    assert types.count("execution.progressed.v1") < 10, "a hundred reports in well under a second"
    assert types[-1] == "execution.completed.v1"


async def test_undecodable_records_are_dead_lettered_and_the_rest_still_runs() -> None:
    log = MemoryLog()
    worker = make_worker(log)
    worker.assign(0, 0, 2)
    garbage = consumer_record(0, Record(b"k", b"{oops", []))
    await worker.handle([garbage, *as_records([created("a")], start=1)])
    await settle(worker)
    (dead,) = log.sent[f"{TOPIC}.dlq"]
    headers = dict(dead.headers)
    assert dead.value == b"{oops"
    assert headers["dlq_offset"] == b"0" and b"JSON" in headers["dlq_reason"]
    assert [e.subject for e in log.events()] == ["a", "a"]


async def test_records_fetched_before_the_partition_bounds_are_known_wait_for_them() -> None:
    log, history = MemoryLog(), [created("a"), started(2, "a"), completed(3, execution_id="a"), created("b")]
    worker = make_worker(log)
    worker.expect([0])  # aiokafka fetches while the assignment listener still reads offsets
    handling = asyncio.create_task(worker.handle(as_records(history)))
    await asyncio.sleep(0.05)
    assert not handling.done(), "records wait instead of being skipped"
    worker.assign(0, start_offset=0, end_offset=len(history))
    await handling
    await settle(worker)
    assert {e.subject for e in log.events()} == {"b"}, "a finished, b run: nothing lost"


async def test_a_fenced_writer_stops_the_run_quietly_and_writes_nothing_more() -> None:
    class FencedAfterStart:
        def __init__(self) -> None:
            self.attempts: list[str] = []

        async def publish(self, event: Envelope) -> RecordMetadata:
            self.attempts.append(event.type)
            if event.type != "execution.started.v1":
                raise Fenced("partition 0 belongs to another handler now")
            return RecordMetadata(TOPIC, 0, None, len(self.attempts), 0, 0, None)

    writer = FencedAfterStart()
    worker = make_worker(MemoryLog(), writer=writer)
    worker.assign(0, start_offset=0, end_offset=1)
    await worker.handle(as_records([created("a", handler_type="language_model")]))
    await settle(worker)
    assert writer.attempts == ["execution.started.v1", "execution.progressed.v1"], "no retry, no failure event"
    assert worker.offsets_to_commit() == {0: 0}, "the execution stays unfinished for its new owner"
