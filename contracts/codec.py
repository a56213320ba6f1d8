"""Events to Kafka records and back (CloudEvents structured mode).

The whole event is the JSON value; `ce_*` headers repeat the attributes that
routers and downstream filters need without parsing the value.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from contracts.envelope import Envelope
from contracts.events import ExecutionEvent, parse_event

CONTENT_TYPE = b"application/cloudevents+json; charset=utf-8"

Headers = list[tuple[str, bytes]]


class UndecodableEvent(Exception):
    """A record that is not a known, valid event; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Record:
    key: bytes
    value: bytes
    headers: Headers


def encode(event: Envelope) -> Record:
    headers: Headers = [
        ("content-type", CONTENT_TYPE),
        ("ce_specversion", event.specversion.encode()),
        ("ce_id", event.id.encode()),
        ("ce_type", event.type.encode()),
        ("ce_source", event.source.encode()),
        ("ce_subject", event.subject.encode()),
        ("ce_tenantid", event.tenantid.encode()),
    ]
    if event.sequence is not None:
        headers.append(("ce_sequence", str(event.sequence).encode()))
    return Record(
        key=event.subject.encode(),
        value=event.model_dump_json(by_alias=True).encode(),
        headers=headers,
    )


@dataclass(frozen=True, slots=True)
class Routing:
    """The `ce_*` headers a reader may route by without parsing the value; each is None when
    missing or malformed. They are hints only: the value is the event."""

    id: str | None
    type: str | None
    subject: str | None
    sequence: int | None


def routing(headers: Headers | None) -> Routing:
    """Read the routing headers of a record, whatever bytes another producer put in them."""
    found = dict(headers or ())
    sequence = _text(found.get("ce_sequence"))
    return Routing(
        id=_text(found.get("ce_id")),
        type=_text(found.get("ce_type")),
        subject=_text(found.get("ce_subject")),
        sequence=int(sequence) if sequence is not None and sequence.isascii() and sequence.isdigit() else None,
    )


def _text(value: bytes | None) -> str | None:
    if value is None:
        return None
    try:
        return value.decode()
    except UnicodeDecodeError:
        return None


def decode(value: bytes | None) -> ExecutionEvent:
    if value is None:
        raise UndecodableEvent("empty record value (tombstone)")
    try:
        return parse_event(value)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "value"
        raise UndecodableEvent(f"{where}: {first['msg']}") from error
