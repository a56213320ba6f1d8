"""`execution.progressed.v1`, written before v2, still loads: as v2, in every reader, and its
chain still verifies against the bytes its writer hashed."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator

from contracts.chain import chained
from contracts.codec import decode, encode
from contracts.envelope import Envelope
from contracts.events import ExecutionProgressed, LegacyExecutionProgressed, LegacyProgressedData
from projections.history import states_through
from projections.verify import ALTERED, verify_chain
from tests.events import EXECUTION, _common, completed, created, progressed, started

SCHEMAS = Path(__file__).resolve().parents[2] / "contracts" / "schemas"


def legacy_progressed(sequence: int, pct: int, message: str = "working") -> LegacyExecutionProgressed:
    data = LegacyProgressedData(progress_pct=pct, progress_message=message)
    return LegacyExecutionProgressed(**_common(sequence, 3 + sequence, EXECUTION), data=data)  # type: ignore[arg-type]


def chain_of(events: list[Envelope]) -> list[Envelope]:
    linked, previous = [], None
    for event in events:
        event = chained(event, previous)
        linked.append(event)
        previous = event.chainhash
    return linked


def test_a_v1_record_decodes_as_v2_with_the_same_envelope() -> None:
    old = chained(legacy_progressed(3, 40, "Halfway"), "ab" * 32)
    loaded = decode(encode(old).value)
    assert isinstance(loaded, ExecutionProgressed) and loaded.type == "execution.progressed.v2"
    assert (loaded.data.percent, loaded.data.message) == (40, "Halfway")
    assert (loaded.id, loaded.sequence, loaded.time, loaded.chainhash) == (old.id, 3, old.time, old.chainhash)


def test_a_history_mixing_versions_folds_like_one_written_in_v2() -> None:
    mixed = [created(), started(), legacy_progressed(3, 30), progressed(4, 60), completed(5)]
    current = [created(), started(), progressed(3, 30), progressed(4, 60), completed(5)]
    from_log = [decode(encode(e).value) for e in mixed]
    assert [s.model_dump(exclude={"chain_hash"}) for s in states_through(from_log)] == [
        s.model_dump(exclude={"chain_hash"}) for s in states_through(current)
    ]
    assert states_through(from_log)[2].progress_pct == 30


def test_a_chain_written_with_v1_events_still_verifies_and_still_catches_tampering() -> None:
    written = chain_of([created(), started(), legacy_progressed(3, 30), legacy_progressed(4, 60), completed(5)])
    records = [encode(e).value for e in written]
    report = verify_chain(EXECUTION, [(decode(value), value) for value in records])
    assert report.intact and not report.unchained

    tampered = json.loads(records[2])
    tampered["data"]["progressPct"] = 99
    records[2] = json.dumps(tampered).encode()
    assert verify_chain(EXECUTION, [(decode(value), value) for value in records]).problems == {ALTERED: [3]}


def test_both_versions_are_published_and_the_union_schema_accepts_each() -> None:
    union = Draft202012Validator(json.loads((SCHEMAS / "execution-event.json").read_text()))
    for event in (legacy_progressed(3, 30), progressed(3, 30)):
        record = json.loads(encode(event).value)
        assert (SCHEMAS / f"{record['type']}.json").exists()
        assert not list(union.iter_errors(record)), record["type"]
    renamed = json.loads(encode(progressed(3, 30)).value)
    renamed["data"] = {"progressPct": 30, "progressMessage": "working"}
    assert list(union.iter_errors(renamed)), "v2 with v1's fields is not valid"
