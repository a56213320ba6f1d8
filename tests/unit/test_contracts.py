import json

import pytest
from pydantic import ValidationError

from contracts.asyncapi import asyncapi_document
from contracts.codec import UndecodableEvent, decode, encode
from contracts.events import WIRE_TYPES
from contracts.schema_export import SCHEMA_DIR, rendered_schemas
from tests.events import cancel_requested, completed, created, progressed


def test_checked_in_schemas_match_the_models() -> None:
    rendered = rendered_schemas()
    on_disk = {path.name: path.read_text() for path in SCHEMA_DIR.glob("*.json")}
    assert set(on_disk) == set(rendered), "run `make schemas` and commit contracts/schemas/"
    for name, text in rendered.items():
        assert on_disk[name] == text, f"{name} drifted: run `make schemas` and commit it"


@pytest.mark.parametrize("event", [created(), progressed(3, 40), completed(4), cancel_requested()])
def test_events_round_trip_through_the_wire_format(event) -> None:
    record = encode(event)
    assert decode(record.value) == event
    assert record.key == event.subject.encode()
    headers = dict(record.headers)
    assert headers["ce_type"] == event.type.encode()
    assert headers["ce_id"] == event.id.encode()
    assert ("ce_sequence" in headers) == (event.sequence is not None)


def test_wire_format_is_cloudevents_structured_json() -> None:
    body = json.loads(encode(progressed(3, 40)).value)
    assert body["specversion"] == "1.0"
    assert body["type"] == "execution.progressed.v2"
    assert body["data"] == {"percent": 40, "message": "working"}


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"not json", "Invalid JSON"),
        (b'{"type": "execution.exploded.v9"}', "does not match any of the expected tags"),
        (None, "tombstone"),
    ],
)
def test_undecodable_records_say_why(value: bytes | None, reason: str) -> None:
    with pytest.raises(UndecodableEvent) as caught:
        decode(value)
    assert reason in caught.value.reason


def test_events_are_immutable() -> None:
    event = created()
    with pytest.raises(ValidationError, match="frozen"):
        event.subject = "other"  # type: ignore[misc]


def test_the_asyncapi_document_names_every_published_event_and_resolves_every_reference() -> None:
    document = asyncapi_document()
    messages = document["components"]["messages"]
    assert set(WIRE_TYPES) | {"file.extracted.v1", "streamed_token"} == set(messages)
    channels = document["channels"]
    assert channels["executionEvents"]["address"] == "executions.events"
    assert set(channels["executionEvents"]["messages"]) == set(WIRE_TYPES)

    def resolve(ref: str) -> object:
        node: object = document
        for part in ref.removeprefix("#/").split("/"):
            assert isinstance(node, dict) and part in node, f"dangling reference {ref}"
            node = node[part]
        return node

    def refs(node: object) -> list[str]:
        if isinstance(node, dict):
            own = [node["$ref"]] if "$ref" in node else []
            return own + [r for value in node.values() for r in refs(value)]
        return [r for item in node for r in refs(item)] if isinstance(node, list) else []

    found = refs(document)
    assert len(found) > len(messages) * 2
    for ref in found:
        resolve(ref)
    discriminators = _discriminators(document)
    assert discriminators and all(isinstance(d, str) for d in discriminators), "AsyncAPI wants the property name"


def _discriminators(node: object) -> list[object]:
    if isinstance(node, dict):
        own = [node["discriminator"]] if "discriminator" in node else []
        return own + [d for value in node.values() for d in _discriminators(value)]
    return [d for item in node for d in _discriminators(item)] if isinstance(node, list) else []
