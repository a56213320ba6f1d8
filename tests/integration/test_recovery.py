"""Nothing lost, nothing twice: restarts of the projection and of the handler."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from contracts.codec import decode
from projections.batch import LoggedEvent, fold_batch
from projections.kafka_client import make_reader
from projections.log_reader import whole_topic
from projections.notifications import ChangeHub
from projections.runner import ProjectionRunner
from projections.store import ReadModel
from services.handler.app import create_app as create_handler
from services.kafka_io import partitions_of
from services.kafka_settings import KafkaSettings
from tests.integration.stack import Stack, running_stack, with_handler_instance

QUERY = {"query": "Resume me. Then finish."}


async def read_whole_log(kafka: KafkaSettings) -> list[LoggedEvent]:
    partitions = await partitions_of(kafka, kafka.events_topic)
    return [LoggedEvent(decode(r.value), r.topic, r.partition, r.offset, r.value)
            async for r in whole_topic(kafka.bootstrap_servers, kafka.events_topic, partitions)]  # fmt: skip


async def log_ends(kafka: KafkaSettings) -> dict[int, int]:
    consumer = make_reader(kafka.bootstrap_servers, client_id="oracle-ends")
    await consumer.start()
    try:
        tps = [TopicPartition(kafka.events_topic, p) for p in await partitions_of(kafka, kafka.events_topic)]
        return {tp.partition: offset for tp, offset in (await consumer.end_offsets(tps)).items()}
    finally:
        await consumer.stop()


async def start_runner(kafka: KafkaSettings, path: Path) -> tuple[ProjectionRunner, ReadModel, ChangeHub]:
    store = await ReadModel.open(path)
    hub = ChangeHub()
    runner = ProjectionRunner(
        lambda: make_reader(kafka.bootstrap_servers, client_id="restart-test"), store, hub, kafka.events_topic
    )
    await runner.start(await partitions_of(kafka, kafka.events_topic))
    await runner.wait_caught_up(30)
    return runner, store, hub


async def test_restarted_projection_resumes_from_its_stored_offsets(stack: Stack, tmp_path: Path) -> None:
    kafka = stack.gateway_settings.kafka
    first = [await stack.trigger("pl_no_op") for _ in range(10)]
    await asyncio.gather(*(stack.wait_terminal(c["executionId"]) for c in first))

    path = tmp_path / "replica.sqlite3"
    runner, store, _ = await start_runner(kafka, path)
    stored = await store.positions(kafka.events_topic)
    await runner.stop()
    await store.close()

    second = [await stack.trigger("pl_no_op") for _ in range(10)]
    await asyncio.gather(*(stack.wait_terminal(c["executionId"]) for c in second))

    runner, store, hub = await start_runner(kafka, path)
    # The first executions were applied before the restart: the new run must not replay them.
    with hub.subscribe(first[0]["executionId"]) as old_changes, pytest.raises(TimeoutError):
        await asyncio.wait_for(old_changes.next(), 0.5)
    oracle = fold_batch({}, await read_whole_log(kafka))
    for execution_id, expected in oracle.states.items():
        assert await store.get(expected.tenant_id, execution_id) == expected
        assert [e.sequence for e in await store.history(execution_id)] == list(range(1, expected.sequence + 1))
    ends = await store.positions(kafka.events_topic)
    assert all(ends[p] >= stored.get(p, 0) for p in ends)
    assert ends == await log_ends(kafka), "stored positions reach the end of the log (markers included)"
    assert sum([len(await store.history(i)) for i in oracle.states]) == len(oracle.history), "every event, once"
    await runner.stop()
    await store.close()


async def test_a_new_handler_resumes_what_a_stopped_one_left_running(kafka_servers: str, tmp_path: Path) -> None:
    async with running_stack(kafka_servers, tmp_path, step_delay_s=0.6) as stack:
        created = await stack.trigger("pl_document_summarizer", QUERY)
        execution_id = created["executionId"]
        async with asyncio.timeout(30):
            while (await stack.get(execution_id))[1]["progressPct"] < 20:
                await asyncio.sleep(0.02)
        await stack.handlers[0].stop()  # the only worker goes away mid-run
        await asyncio.sleep(1.5)
        stalled = (await stack.get(execution_id))[1]
        assert stalled["status"] == "running"

        successor = create_handler(with_handler_instance(stack.handler_settings, "handler-b"))
        async with successor:
            final = await stack.wait_terminal(execution_id)
        assert final["status"] == "succeeded"
        log = await read_whole_log(stack.gateway_settings.kafka)
        mine = [e.event for e in log if e.event.subject == execution_id]
        assert [e.type for e in mine].count("execution.completed.v1") == 1
        assert [e.sequence for e in mine] == list(range(1, len(mine) + 1)), "contiguous, no repeats"
        actors = {e.actor for e in mine if e.type == "execution.completed.v1"}
        assert actors == {"handler/handler-b"}


async def test_undecodable_records_go_to_the_dead_letter_topic(stack: Stack) -> None:
    kafka = stack.gateway_settings.kafka
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(kafka.events_topic, b"\x00garbage", key=b"x")
    finally:
        await producer.stop()
    created = await stack.trigger("pl_no_op")
    assert (await stack.wait_terminal(created["executionId"]))["status"] == "succeeded"

    dlq = AIOKafkaConsumer(kafka.dlq_topic, bootstrap_servers=kafka.bootstrap_servers, auto_offset_reset="earliest")
    await dlq.start()
    try:
        record = await asyncio.wait_for(dlq.getone(), 30)
    finally:
        await dlq.stop()
    headers = dict(record.headers)
    assert record.value == b"\x00garbage"
    assert b"JSON" in headers["dlq_reason"]
    assert headers["dlq_topic"] == kafka.events_topic.encode()


async def test_execution_past_its_deadline_fails_with_pipeline_timeout(kafka_servers: str, tmp_path: Path) -> None:
    async with running_stack(kafka_servers, tmp_path, deadline_s=0.5, step_delay_s=0.4) as stack:
        created = await stack.trigger("pl_document_summarizer", QUERY)
        final = await stack.wait_terminal(created["executionId"])
    assert final["status"] == "failed"
    assert final["errorMessage"].startswith("PipelineTimeout")
    assert final["progressPct"] < 100
    assert json.dumps(final)  # still a valid resource
