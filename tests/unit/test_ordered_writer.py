"""A partition's events land in the order they were submitted, through failures, or not at all."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.structs import RecordMetadata

from contracts.codec import Record, decode
from services.handler.ordered_writer import Fenced, GaveUp, OrderedWriter
from services.kafka_io import PublishFailed
from tests.events import completed, created, progressed, started


class FlakyLog:
    """Takes batches whole; the first `failures` attempts fail."""

    def __init__(self, failures: int = 0, fenced: bool = False) -> None:
        self.failures = failures
        self.fenced = fenced
        self.batches: list[list[tuple[str, int | None]]] = []
        self.attempts = 0

    async def write(self, records: list[Record]) -> list[RecordMetadata]:
        self.attempts += 1
        await asyncio.sleep(0.01)  # a transaction takes a while: later submissions queue behind it
        if self.fenced:
            raise Fenced("partition 0 belongs to another handler now")
        if self.attempts <= self.failures:
            raise PublishFailed("broker did not acknowledge in time")
        self.batches.append([(e.subject, e.sequence) for e in map(decode, (r.value for r in records))])
        return [RecordMetadata("t", 0, None, n, 0, 0, None) for n in range(len(records))]

    def landed(self) -> list[tuple[str, int | None]]:
        return [event for batch in self.batches for event in batch]


async def test_events_submitted_while_a_batch_is_retried_land_after_it_in_order() -> None:
    log = FlakyLog(failures=2)
    writer = OrderedWriter(log.write, "partition 0", attempts=5, retry_pause_s=0.01)
    first = [writer.submit(started(2, "a")), writer.submit(created("b"))]
    await asyncio.sleep(0.015)  # the first attempt is in flight
    later = [writer.submit(progressed(3, 50, execution_id="a")), writer.submit(completed(4, execution_id="a"))]
    await asyncio.gather(*first, *later)
    assert log.landed() == [("a", 2), ("b", 1), ("a", 3), ("a", 4)], "submission order, each once"
    assert log.attempts == 3, "two failed attempts, then the retried batch with what queued behind it"
    await writer.stop()


async def test_a_run_that_does_not_wait_shares_its_transaction_with_the_next_event() -> None:
    log = FlakyLog()
    writer = OrderedWriter(log.write, "partition 0")
    await asyncio.gather(writer.submit(started(2, "a")), writer.submit(completed(3, execution_id="a")))
    assert log.batches == [[("a", 2), ("a", 3)]], "one transaction for both"
    await writer.stop()


async def test_after_the_last_attempt_every_queued_and_later_event_fails() -> None:
    log = FlakyLog(failures=100)
    writer = OrderedWriter(log.write, "partition 0", attempts=3, retry_pause_s=0.01)
    queued = [writer.submit(started(2, "a")), writer.submit(completed(3, execution_id="a"))]
    for landing in queued:
        with pytest.raises(GaveUp, match="after 3 attempts"):
            await landing
    with pytest.raises(GaveUp):
        writer.submit(created("b"))  # nothing lands after a gap
    assert log.attempts == 3 and log.landed() == []
    await writer.stop()


async def test_a_fenced_writer_is_not_retried_and_refuses_what_comes_after() -> None:
    log = FlakyLog(fenced=True)
    writer = OrderedWriter(log.write, "partition 0", attempts=5, retry_pause_s=0.01)
    with pytest.raises(Fenced):
        await writer.submit(started(2, "a"))
    with pytest.raises(Fenced):
        writer.submit(completed(3, execution_id="a"))
    assert log.attempts == 1
    await writer.stop()


async def test_stopping_fails_what_is_queued_or_waiting_to_be_retried() -> None:
    log = FlakyLog(failures=100)
    writer = OrderedWriter(log.write, "partition 0", attempts=5, retry_pause_s=5)
    landing = writer.submit(started(2, "a"))
    await asyncio.sleep(0.05)  # failed once, now pausing before the next attempt
    await writer.stop()
    with pytest.raises(Fenced, match="stopped"):
        await asyncio.wait_for(landing, 1)
