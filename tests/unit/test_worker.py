"""The handler's worker against an in-memory log: catch-up, resume, cancel, dead letters."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaTimeoutError, MessageSizeTooLargeError
from aiokafka.structs import RecordMetadata

from contracts.codec import Headers, Record, decode, encode
from contracts.envelope import Envelope
from contracts.events import Outcome
from services.handler.dead_letters import EXCERPT_BYTES, DeadLetterLedger, DeadLetters
from services.handler.ordered_writer import BatchWrite, Fenced, OrderedWriter
from services.handler.plugins.base import PipelineContext, PipelineResult, Plugin
from services.handler.plugins.registry import default_plugins
from services.handler.settings import HandlerSettings
from services.handler.worker import Publisher, Worker
from services.kafka_io import PublishFailed
from services.kafka_settings import KafkaSettings
from services.log_limits import EVERY_TIME, OncePerInterval
from tests.events import T0, cancel_requested, completed, created, progressed, started

TOPIC = "events"
DLQ = f"{TOPIC}.dlq"


class MemoryLog:
    """What the worker sent, per topic, as records it could read back."""

    def __init__(self, refuse: Callable[[str, Record], Exception | None] = lambda topic, record: None) -> None:
        self.sent: dict[str, list[Record]] = {}
        self._refuse = refuse

    async def send(self, topic: str, record: Record) -> None:
        error = self._refuse(topic, record)
        if error is not None:
            raise error
        self.sent.setdefault(topic, []).append(record)

    def events(self) -> list[Envelope]:
        return [decode(r.value) for r in self.sent.get(TOPIC, [])]

    def letters(self) -> list[dict[str, bytes]]:
        return [dict(r.headers) for r in self.sent.get(DLQ, [])]

    def ledger(self) -> DeadLetterLedger:
        async def read_from(position: int) -> tuple[list[Headers], int]:
            letters = self.sent.get(DLQ, [])
            return [r.headers for r in letters[position:]], len(letters)

        return DeadLetterLedger(read_from)


def appending_to(log: MemoryLog) -> BatchWrite:
    async def write(records: list[Record]) -> list[RecordMetadata]:
        for record in records:
            await log.send(TOPIC, record)
        return [RecordMetadata(TOPIC, 0, None, n, 0, 0, None) for n in range(len(records))]

    return write


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
    writers: dict[int, Publisher] | None = None,
    on_lost: Callable[[int], None] = lambda partition: None,
    publish_attempts: int = 5,
    ledger: DeadLetterLedger | None = None,
    retry_pause_s: float = 0.01,
) -> Worker:
    settings = HandlerSettings(
        kafka=KafkaSettings("unused"),
        step_delay_s=0,
        deadline_s=300,
        progress_interval_s=progress_interval_s,
        publish_attempts=publish_attempts,
    )
    publisher = writer or OrderedWriter(appending_to(log), "partition 0", publish_attempts, retry_pause_s)
    return Worker(
        (lambda partition: writers[partition]) if writers is not None else (lambda partition: publisher),
        DeadLetters(log.send, DLQ, 1.0, ledger, retry_pause_s=0),  # type: ignore[arg-type]
        default_plugins() | {plugin.handler_type: plugin for plugin in extra_plugins},
        settings,
        clock=lambda: now,
        on_lost=on_lost,
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
    assert [e.data.percent for e in written[:2]] == [50, 80]
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
    assert types.count("execution.progressed.v2") < 10, "a hundred reports in well under a second"
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
    attempts: list[list[str]] = []

    async def fenced_after_start(records: list[Record]) -> list[RecordMetadata]:
        attempts.append([decode(r.value).type for r in records])
        if "execution.progressed.v2" in attempts[-1]:
            raise Fenced("partition 0 belongs to another handler now")
        return [RecordMetadata(TOPIC, 0, None, len(attempts), 0, 0, None)]

    worker = make_worker(MemoryLog(), writer=OrderedWriter(fenced_after_start, "partition 0"))
    worker.assign(0, start_offset=0, end_offset=1)
    await worker.handle(as_records([created("a", handler_type="language_model")]))
    await settle(worker)
    tried = [event_type for batch in attempts for event_type in batch]
    assert tried.count("execution.progressed.v2") == 1, "not retried"
    assert "execution.completed.v1" not in tried, "no failure event either"
    assert worker.offsets_to_commit() == {0: 0}, "the execution stays unfinished for its new owner"


def scripted(log: MemoryLog, fails: Callable[[Envelope, int], bool], failed: asyncio.Event) -> BatchWrite:
    """Appends batches to a MemoryLog, except those holding an event whose `fails(event, attempt)` is true."""
    attempts: dict[tuple[str, int | None], int] = {}

    async def write(records: list[Record]) -> list[RecordMetadata]:
        events = [decode(r.value) for r in records]
        for event in events:
            attempts[event.type, event.sequence] = attempts.get((event.type, event.sequence), 0) + 1
        if any(fails(event, attempts[event.type, event.sequence]) for event in events):
            failed.set()
            raise PublishFailed("broker did not acknowledge in time")
        return await appending_to(log)(records)

    write.attempts = attempts  # type: ignore[attr-defined]
    return write


def garbage(offset: int, value: bytes = b"\x00garbage", headers: Headers | None = None) -> ConsumerRecord:
    return consumer_record(offset, Record(b"k", value, headers or []))


async def test_giving_up_on_a_write_stops_the_partition_until_it_is_rebuilt_from_the_log() -> None:
    log, lost = MemoryLog(), []
    broker_away = scripted(log, lambda event, attempt: event.type == "execution.progressed.v2", asyncio.Event())
    writers: dict[int, Publisher] = {0: OrderedWriter(broker_away, "partition 0", attempts=2, retry_pause_s=0.01)}
    worker = make_worker(log, writers=writers, on_lost=lost.append)
    worker.assign(0, 0, 1)
    await worker.handle(as_records([created("a", handler_type="language_model")]))
    await settle(worker)
    assert lost == [0], "the consumer group is asked once to hand the partition out again"
    assert log.events() == [], "Started shared the failed transaction of the report behind it"
    assert broker_away.attempts["execution.progressed.v2", 3] == 2, "retried, then given up"  # type: ignore[attr-defined]

    await worker.handle(as_records([cancel_requested("a")], start=1))
    await settle(worker)
    assert log.events() == [], "nothing is written from a state the log does not hold"

    # The group hands the partition out again: it is folded back from the committed watermark.
    assert await worker.revoke(0) == 0
    writers[0] = OrderedWriter(appending_to(log), "partition 0")  # the new assignment's writer
    history = [created("a", handler_type="language_model"), *log.events()]
    worker.assign(0, 0, len(history))
    await worker.handle(as_records(history))
    await settle(worker)
    written = log.events()
    assert [e.sequence for e in written] == list(range(2, len(written) + 2)), "contiguous: #3 written once"
    assert written[-1].data.outcome is Outcome.SUCCEEDED


async def test_a_cancellation_answered_while_a_progress_send_is_retried_lands_after_it() -> None:
    log = MemoryLog()
    failed = asyncio.Event()
    write = scripted(log, lambda event, attempt: event.type == "execution.progressed.v2" and attempt == 1, failed)
    # The cancel comes while the report waits to be tried again.
    worker = make_worker(log, writer=OrderedWriter(write, "partition 0", retry_pause_s=0.5))
    worker.assign(0, 0, 1)
    await worker.handle(as_records([created("a", handler_type="language_model")]))
    await asyncio.wait_for(failed.wait(), 5)
    await worker.handle(as_records([cancel_requested("a")], start=1))
    await settle(worker)
    written = log.events()
    assert [e.sequence for e in written] == list(range(2, len(written) + 2)), "in order, so readers see no gap"
    assert written[-1].data.outcome is Outcome.CANCELLED


async def test_garbled_routing_headers_are_ignored_and_the_value_decides() -> None:
    log = MemoryLog()
    worker = make_worker(log)
    not_utf8 = [("ce_subject", b"\xff\xfe"), ("ce_type", b"\xc3"), ("ce_sequence", b"\xff")]
    valid_value = consumer_record(1, Record(b"b", encode(created("b")).value, not_utf8))
    bad_sequence = [("ce_subject", b"a"), ("ce_type", b"execution.progressed.v2"), ("ce_sequence", b"seven")]
    records = [*as_records([created("a")]), valid_value, garbage(2, headers=bad_sequence)]
    worker.assign(0, 0, len(records))
    await worker.handle(records)
    await settle(worker)
    assert sorted({e.subject for e in log.events()}) == ["a", "b"], "both executions ran"
    (letter,) = log.letters()
    assert (letter["dlq_offset"], letter["dlq_cause"]) == (b"2", b"undecodable")


async def test_events_no_reader_can_apply_are_dead_lettered_with_their_cause() -> None:
    async def blocked(ctx: PipelineContext) -> PipelineResult:
        await asyncio.Event().wait()
        raise AssertionError("never released")

    log = MemoryLog()
    worker = make_worker(log, extra_plugins=(Plugin("blocked", blocked),))
    worker.assign(0, 0, 0)
    first = [created("done"), created("running", handler_type="blocked")]
    await worker.handle(as_records(first))
    await asyncio.sleep(0.05)  # "done" runs to its end, "running" starts
    own = log.events()
    await worker.handle(as_records(own, start=2))
    poison = [
        progressed(7, 50, execution_id="running"),
        progressed(9, 50, execution_id="done"),
        completed(4, execution_id="done"),
        completed(2, execution_id="ghost"),
        created("running", handler_type="blocked"),
    ]
    done = next(e for e in own if e.type == "execution.completed.v1")
    benign = [first[0], done, cancel_requested("done")]  # a resent Created, a resent Completed, a late request
    start = 2 + len(own)
    await worker.handle(as_records([*poison, *benign], start=start))

    causes = [(int(letter["dlq_offset"]), letter["dlq_cause"].decode()) for letter in log.letters()]
    assert causes == list(
        enumerate(
            ["sequence_gap", "sequence_gap", "invalid_transition", "unknown_execution", "duplicate_created"], start
        )
    )
    assert all(letter["dlq_reason"] for letter in log.letters())
    assert worker.dead_letters.counts["sequence_gap"] == 2
    assert worker.offsets_to_commit() == {0: 1}, "the running execution goes on, holding the watermark"
    await worker.stop()


async def test_an_event_of_an_unknown_execution_is_judged_only_once_the_partition_is_ours() -> None:
    log = MemoryLog()
    worker = make_worker(log)
    history = [completed(3, execution_id="finished-before-the-watermark"), created("b")]
    worker.assign(0, 0, len(history))
    await worker.handle(as_records(history))
    await worker.handle(as_records([completed(2, execution_id="ghost")], start=len(history)))
    await settle(worker)
    assert [letter["dlq_offset"] for letter in log.letters()] == [b"2"]


async def test_a_re_read_poison_record_is_not_dead_lettered_again() -> None:
    log = MemoryLog()
    poison = [garbage(0), *as_records([created("a"), progressed(9, 50, execution_id="a")], start=1)]
    first = make_worker(log, ledger=log.ledger())
    first.assign(0, 0, 0)
    await first.handle(poison)
    await settle(first)
    assert [letter["dlq_offset"] for letter in log.letters()] == [b"0", b"2"]

    # A restart before the handler saw the next record; its successor re-reads from offset 0.
    whole_log = [*poison, garbage(3, b"\x00more garbage"), *as_records(log.events(), start=4)]
    second = make_worker(log, ledger=log.ledger())
    second.assign(0, 0, len(whole_log))
    await second.handle(whole_log)
    await settle(second)
    assert [letter["dlq_offset"] for letter in log.letters()] == [b"0", b"2", b"3"], "only the one never seen"
    assert second.dead_letters.counts["already_written"] == 2


async def test_a_dead_letter_too_large_for_its_topic_is_replaced_by_a_smaller_one() -> None:
    log = MemoryLog()
    worker = make_worker(log)
    value = b"{" + b"x" * 1_040_000
    worker.assign(0, 0, 0)
    await worker.handle([garbage(0, value, [("ce_type", b"execution.created.v1")]), *as_records([created("a")], 1)])
    await settle(worker)
    (letter,) = log.sent[DLQ]
    headers = dict(letter.headers)
    assert len(letter.value) == EXCERPT_BYTES and value.startswith(letter.value)
    assert headers["dlq_original_sha256"] == hashlib.sha256(value).hexdigest().encode()
    assert int(headers["dlq_original_bytes"]) > len(value)
    assert (headers["dlq_offset"], headers["dlq_cause"]) == (b"0", b"undecodable")
    assert worker.dead_letters.counts["replaced"] == 1
    assert {e.subject for e in log.events()} == {"a"}, "the partition goes on"


async def test_a_dead_letter_the_broker_refuses_as_too_large_is_replaced_by_a_smaller_one() -> None:
    log = MemoryLog(refuse=lambda topic, record: MessageSizeTooLargeError() if len(record.value) > 100_000 else None)
    worker = make_worker(log)
    worker.assign(0, 0, 0)
    await worker.handle([garbage(0, b"\x00" * 200_000), *as_records([created("a")], start=1)])
    await settle(worker)
    (letter,) = log.sent[DLQ]
    assert len(letter.value) == EXCERPT_BYTES and dict(letter.headers)["dlq_offset"] == b"0"
    assert {e.subject for e in log.events()} == {"a"}


async def test_a_record_that_cannot_be_dead_lettered_is_read_again_once_the_partition_is_rebuilt() -> None:
    broker = {"away": True}
    log = MemoryLog(refuse=lambda topic, record: KafkaTimeoutError() if topic == DLQ and broker["away"] else None)
    lost: list[int] = []
    worker = make_worker(log, on_lost=lost.append)
    records = [garbage(0), *as_records([created("a")], start=1)]
    worker.assign(0, 0, 0)
    await worker.handle(records)
    await settle(worker)
    assert lost == [0]
    assert log.events() == [], "nothing after the record is applied: it is all read again"

    broker["away"] = False
    assert await worker.revoke(0) == 0
    worker.assign(0, 0, len(records))
    await worker.handle(records)
    await settle(worker)
    assert [letter["dlq_offset"] for letter in log.letters()] == [b"0"]
    assert {e.subject for e in log.events()} == {"a"}


def test_repeated_log_lines_are_let_through_once_per_interval_with_a_count() -> None:
    now = [0.0]
    limit = OncePerInterval(interval_s=30, clock=lambda: now[0])

    def line(msg: str, *args: object, level: int = logging.ERROR, **extra: object) -> logging.LogRecord:
        record = logging.LogRecord("aiokafka", level, __file__, 1, msg, args, None)
        record.__dict__.update(extra)
        return record

    unreachable = "Unable connect to node with id %s: %s"
    assert [limit.filter(line(unreachable, 1, n)) for n in range(300)].count(True) == 1
    assert limit.filter(line("Group Coordinator Request failed: %s", "x")), "another cause has its own line"
    assert limit.filter(line(unreachable, 1, 2, level=logging.INFO)), "below WARNING is not limited"
    assert limit.filter(line("partition %s lost", 1, **EVERY_TIME)), "a line that must always show"
    now[0] = 31.0
    later = line(unreachable, 1, "again")
    assert limit.filter(later)
    assert "[299 more like this in the last 31 s]" in later.getMessage()
