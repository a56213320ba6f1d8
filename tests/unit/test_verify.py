"""The hash chain check over one execution's events, for each way a log can be tampered with."""

from __future__ import annotations

from contracts.chain import chained
from contracts.codec import encode
from contracts.events import ExecutionEvent
from projections.verify import ALTERED, INSERTED, REMOVED, REORDERED, verify_chain
from tests.events import completed, created, progressed, started


def chain() -> list[ExecutionEvent]:
    events: list[ExecutionEvent] = []
    previous = None
    for event in [created(), started(), progressed(3, 30), progressed(4, 60), completed(5)]:
        linked = chained(event, previous)
        events.append(linked)
        previous = linked.chainhash
    return events


def logged(events: list[ExecutionEvent]) -> list[tuple[ExecutionEvent, bytes]]:
    return [(e, encode(e).value) for e in events]


def test_an_untouched_chain_is_intact() -> None:
    report = verify_chain("exec-1", logged(chain()))
    assert report.intact and not report.unchained and report.repeated_writes == []


def test_an_altered_event_breaks_its_link() -> None:
    events = chain()
    forged = progressed(3, 99).model_copy(update={"chainhash": events[2].chainhash})
    report = verify_chain("exec-1", logged([*events[:2], forged, *events[3:]]))
    assert report.problems == {ALTERED: [3]}


def test_a_removed_event_leaves_a_gap() -> None:
    events = chain()
    assert verify_chain("exec-1", logged(events[:2] + events[3:])).problems == {REMOVED: [3]}


def test_reordered_events_are_named() -> None:
    events = chain()
    assert verify_chain("exec-1", logged([*events[:2], events[3], events[2], events[4]])).problems == {REORDERED: [3]}


def test_an_inserted_event_at_a_taken_number_is_named() -> None:
    events = chain()
    intruder = progressed(3, 45).model_copy(update={"chainhash": "0" * 64})
    assert verify_chain("exec-1", logged([*events[:3], intruder, *events[3:]])).problems == {INSERTED: [3]}


def test_a_repeated_creation_by_its_own_writer_is_not_tampering() -> None:
    events = chain()
    retried = chained(created(seconds=1), None)  # another attempt with the same key: same id, new event id
    report = verify_chain("exec-1", logged([events[0], retried, *events[1:]]))
    assert report.intact and report.repeated_writes == [1]


def test_events_from_before_chains_are_unchained_not_tampered() -> None:
    report = verify_chain("exec-1", logged([created(), started(), completed(3)]))
    assert report.intact and report.unchained
