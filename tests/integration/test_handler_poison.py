"""Poison on the events topic: each record no reader can apply is dead-lettered once, alone.

Valid executions around it all finish; a restarted handler that re-reads the partitions
from the start writes no dead letter a second time, and nothing is left pending.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from contracts.codec import Headers, UndecodableEvent, decode, encode
from contracts.events import ExecutionEvent
from projections.log_reader import whole_topic
from services.handler.app import create_app as create_handler
from services.kafka_io import partitions_of
from services.kafka_settings import KafkaSettings
from tests.events import completed, created, progressed
from tests.integration.stack import Stack, running_stack, with_handler_instance

NEAR_THE_LIMIT = 1_047_000
"""Value bytes of a record just under the events topic's 1 MiB: it fits there, its letter does not."""


@dataclass(frozen=True)
class Poison:
    name: str
    cause: str
    partition: int
    offset: int
    value: bytes


async def test_poison_is_dead_lettered_once_each_and_valid_executions_all_finish(
    kafka_servers: str, tmp_path: Path
) -> None:
    async with running_stack(kafka_servers, tmp_path, step_delay_s=0.2) as stack:
        kafka = stack.handler_settings.kafka
        producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, max_request_size=2 * 1024 * 1024)
        await producer.start()
        try:
            valid, poison = await _interleave(stack, producer, kafka.events_topic)
        finally:
            await producer.stop()
        finals = [await _terminal(stack, execution_id) for execution_id in valid]
        assert [final["status"] for final in finals] == ["succeeded"] * len(valid)
        letters = await _letters_when(kafka, len(poison))
        _assert_each_once(letters, poison, kafka.events_topic)

        # Restart, and rewind the group to the start: the widest re-read a restart can make.
        await stack.handlers[0].stop()
        await _rewind(kafka, stack.handler_settings.consumer_group)
        async with create_handler(with_handler_instance(stack.handler_settings, "handler-b")):
            later = [(await stack.trigger("pl_no_op"))["executionId"] for _ in range(12)]
            # A partition runs new executions only once it has folded what was there before.
            later_finals = [await stack.wait_terminal(execution_id, timeout=60) for execution_id in later]
            assert {final["status"] for final in later_finals} == {"succeeded"}
            assert len(await _letters(kafka)) == len(poison), "no dead letter written twice"

        events = await _decodable_events(kafka)
        for execution_id in valid:
            mine = [e for e in events if e.subject == execution_id and e.type == "execution.completed.v1"]
            assert len({e.id for e in mine}) == 1, f"{execution_id} completed once, not re-run by the re-read"


async def _interleave(stack: Stack, producer: AIOKafkaProducer, topic: str) -> tuple[list[str], list[Poison]]:
    """Trigger valid executions through the gateway with poison produced between them."""
    valid: list[str] = []
    poison: list[Poison] = []

    async def send(name: str, cause: str, key: bytes, value: bytes, headers: Headers | None = None) -> None:
        sent = await producer.send_and_wait(topic, value, key=key, headers=headers or [])
        poison.append(Poison(name, cause, sent.partition, sent.offset, value))

    async def trigger(pipeline_id: str = "pl_no_op", inputs: dict[str, str] | None = None) -> str:
        valid.append((await stack.trigger(pipeline_id, inputs))["executionId"])
        return valid[-1]

    for _ in range(3):
        await trigger()
        await send("random bytes", "undecodable", os.urandom(8), b"\x00" + os.urandom(200))
        await trigger()
        await send("wrong shape", "undecodable", os.urandom(8), json.dumps({"hello": "world"}).encode())
        await trigger()
        unknown_type = {**json.loads(encode(created(f"x-{uuid.uuid4().hex}")).value), "type": "execution.exploded.v1"}
        await send("unknown type", "undecodable", os.urandom(8), json.dumps(unknown_type).encode())
        not_utf8 = [("ce_subject", b"\xff\xfe"), ("ce_type", b"\xc3\x28"), ("ce_sequence", b"\xff")]
        await send("non-UTF-8 headers", "undecodable", os.urandom(8), b"\x00not an event", not_utf8)

        # Headers are hints: a valid event under garbled headers is an execution like any other.
        hinted = created(f"hdr-{uuid.uuid4().hex}")
        await producer.send_and_wait(topic, encode(hinted).value, key=hinted.subject.encode(), headers=not_utf8)
        valid.append(hinted.subject)

        running = await trigger("pl_document_summarizer", {"query": "Poison around me. Still finish."})
        bad_sequence = [("ce_subject", running.encode()), ("ce_type", b"execution.progressed.v2"),
                        ("ce_sequence", b"NaN")]  # fmt: skip
        await send("bad ce_sequence", "undecodable", running.encode(), b"\x00not an event", bad_sequence)
        gap = progressed(50, 60, execution_id=running)
        await send("sequence gap", "sequence_gap", running.encode(), encode(gap).value)
        ghost = completed(2, execution_id=f"ghost-{uuid.uuid4().hex}")
        await send("Completed for an unknown execution", "unknown_execution", ghost.subject.encode(),
                   encode(ghost).value)  # fmt: skip
        twin = await trigger()
        await send("duplicate Created", "duplicate_created", twin.encode(), encode(created(twin)).value)

    oversized = b'{"specversion": "' + b"x" * NEAR_THE_LIMIT + b'"}'
    await send("oversized", "undecodable", os.urandom(8), oversized)
    await trigger()
    return valid, poison


async def _terminal(stack: Stack, execution_id: str) -> dict[str, object]:
    """Like `wait_terminal`, but an execution produced past the gateway may not be in its read model yet."""
    async with asyncio.timeout(60):
        while (await stack.get(execution_id))[0] == 404:
            await asyncio.sleep(0.05)
    return await stack.wait_terminal(execution_id, timeout=60)


def _assert_each_once(letters: list[dict[str, bytes]], poison: list[Poison], topic: str) -> None:
    by_position = {(int(letter["dlq_partition"]), int(letter["dlq_offset"])): letter for letter in letters}
    assert len(by_position) == len(letters), "one letter per record"
    assert set(by_position) == {(p.partition, p.offset) for p in poison}, "every poison record, nothing else"
    for record in poison:
        letter = by_position[(record.partition, record.offset)]
        assert letter["dlq_topic"] == topic.encode()
        assert (record.name, letter["dlq_cause"].decode()) == (record.name, record.cause)
        assert letter["dlq_reason"], record.name
    (oversized,) = [p for p in poison if p.name == "oversized"]
    replaced = by_position[(oversized.partition, oversized.offset)]
    assert "dlq_replaced" in replaced
    assert replaced["dlq_original_sha256"] == hashlib.sha256(oversized.value).hexdigest().encode()


async def _letters(kafka: KafkaSettings) -> list[dict[str, bytes]]:
    reader = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap_servers, enable_auto_commit=False)
    await reader.start()
    try:
        tp = TopicPartition(kafka.dlq_topic, 0)
        reader.assign([tp])
        reader.seek(tp, 0)
        end = (await reader.end_offsets([tp]))[tp]
        letters = []
        while await reader.position(tp) < end:
            for record in (await reader.getmany(tp, timeout_ms=500)).get(tp, []):
                letters.append(dict(record.headers))
        return letters
    finally:
        await reader.stop()


async def _letters_when(kafka: KafkaSettings, count: int) -> list[dict[str, bytes]]:
    async with asyncio.timeout(30):
        while len(letters := await _letters(kafka)) < count:
            await asyncio.sleep(0.2)
    return letters


async def _rewind(kafka: KafkaSettings, group: str) -> None:
    """Commit offset 0 for every partition, as if an execution from before the poison were unfinished."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap_servers, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(kafka.events_topic, p) for p in await partitions_of(kafka, kafka.events_topic)]
        consumer.assign(tps)
        await consumer.commit({tp: 0 for tp in tps})
    finally:
        await consumer.stop()


async def _decodable_events(kafka: KafkaSettings) -> list[ExecutionEvent]:
    events = []
    partitions = await partitions_of(kafka, kafka.events_topic)
    async for record in whole_topic(kafka.bootstrap_servers, kafka.events_topic, partitions):
        try:
            events.append(decode(record.value))
        except UndecodableEvent:
            continue
    return events


pytestmark = pytest.mark.integration
