"""A gateway's reader takes back the events it sent itself instead of parsing them, and only those."""

from __future__ import annotations

from contracts.codec import decode, encode
from projections.own_appends import OwnAppends
from tests.events import created, started


def test_the_event_sent_is_taken_back_once_for_exactly_its_bytes() -> None:
    own = OwnAppends()
    event = created()
    value = encode(event).value
    own.add(event, value)
    assert own.take(event.id, value) is event
    assert own.take(event.id, value) is None, "taken once"
    assert decode(value) == event, "the same as parsing would give"


def test_other_bytes_under_a_sent_id_are_not_taken() -> None:
    own = OwnAppends()
    event = created()
    own.add(event, encode(event).value)
    forged = encode(event.model_copy(update={"tenantid": "tnt_other"})).value
    assert own.take(event.id, forged) is None
    assert own.take("never-sent", forged) is None and own.take(None, forged) is None


def test_events_never_read_back_age_out() -> None:
    own = OwnAppends(capacity=2)
    events = [started(execution_id=f"e{i}") for i in range(3)]
    for event in events:
        own.add(event, encode(event).value)
    assert own.take(events[0].id, encode(events[0]).value) is None, "the oldest was dropped"
    assert own.take(events[2].id, encode(events[2]).value) is events[2]
