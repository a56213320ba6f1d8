"""A record the read model cannot apply is skipped on its own: never a stalled projection, never
a gateway that stays not-ready, not even after a restart on the same files."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import replace
from pathlib import Path

import aiohttp
from aiokafka import AIOKafkaProducer

from contracts.codec import encode
from infra.kafka.launcher import free_port
from projections.batch import FoldedBatch
from projections.kafka_client import make_reader
from projections.notifications import ChangeHub
from projections.runner import ProjectionRunner
from projections.store import ReadModel
from services.kafka_io import partitions_of
from tests.events import completed, created, progressed
from tests.integration.stack import ADMIN_KEY, API_KEY, Stack, running_gateway, running_stack

NO_OP = "pl_no_op"


def poison_values() -> list[bytes]:
    """Records every producer could write to the topic, none of which a reader can apply."""
    year_one = json.loads(encode(created("poison-time")).value)
    year_one["time"] = "0001-01-01T00:00:00+01:00"  # year 0 in UTC: no reader can store it
    huge_sequence = json.loads(encode(created("poison-sequence")).value)
    huge_sequence["sequence"] = 2**70
    unknown_type = json.loads(encode(created("poison-type")).value)
    unknown_type["type"] = "execution.teleported.v1"
    return [
        uuid.uuid4().bytes * 8,
        b'{"not": "an event"}',
        json.dumps(unknown_type).encode(),
        json.dumps(year_one).encode(),
        json.dumps(huge_sequence).encode(),
        encode(completed(3, execution_id="never-created")).value,
        encode(progressed(7, 50, execution_id="never-created")).value,
    ]


async def produce(stack: Stack, values: list[bytes]) -> None:
    kafka = stack.gateway_settings.kafka
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all")
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(kafka.events_topic, value, key=uuid.uuid4().bytes)
    finally:
        await producer.stop()


async def ready(stack: Stack) -> dict:
    async with stack.http.get(f"{stack.base_url}/readyz") as resp:
        body = await resp.json()
        assert resp.status == 200, body
        return body


async def test_poison_records_are_skipped_and_executions_still_complete(stack: Stack) -> None:
    before = await stack.trigger(NO_OP)
    await stack.wait_terminal(before["executionId"])
    poison = poison_values()
    await produce(stack, poison)

    after = [await stack.trigger(NO_OP) for _ in range(3)]
    for execution in after:
        assert (await stack.wait_terminal(execution["executionId"]))["status"] == "succeeded"
    skipped = (await ready(stack))["skippedRecords"]
    assert skipped["count"] == len(poison), skipped
    assert any("time" in entry["reason"] for entry in skipped["latest"]), skipped
    status, _ = await stack.get("poison-time")
    assert status == 404


async def test_a_restarted_gateway_is_ready_past_the_poison(kafka_servers: str, tmp_path: Path) -> None:
    async with running_stack(kafka_servers, tmp_path) as stack:
        await produce(stack, poison_values())
        done = await stack.trigger(NO_OP)
        await stack.wait_terminal(done["executionId"])
        settings = stack.gateway_settings
    restarted = replace(settings, port=free_port())
    async with running_gateway(restarted), aiohttp.ClientSession() as http:
        async with asyncio.timeout(30):
            while True:
                async with http.get(f"http://{restarted.host}:{restarted.port}/readyz") as resp:
                    if resp.status == 200:
                        break
                await asyncio.sleep(0.2)
        async with http.get(
            f"http://{restarted.host}:{restarted.port}/pipeline-executions/{done['executionId']}",
            headers={"Authorization": f"Bearer {API_KEY}"},
        ) as resp:
            assert resp.status == 200


class RefusingReadModel(ReadModel):
    """A read model that cannot store one execution, as a disk-level constraint might refuse a row."""

    refused = "refused-execution"

    async def commit(self, folded: FoldedBatch, topic: str, next_offsets: dict[int, int]) -> None:
        if self.refused in folded.states:
            raise ValueError(f"cannot store {self.refused}")
        await super().commit(folded, topic, next_offsets)


async def test_a_record_the_store_refuses_is_skipped_alone(stack: Stack, tmp_path: Path) -> None:
    kafka = stack.gateway_settings.kafka
    await produce(stack, [encode(created("neighbour-1")).value, encode(created(RefusingReadModel.refused)).value,
                          encode(created("neighbour-2")).value])  # fmt: skip
    store = await RefusingReadModel.open(tmp_path / "refusing.sqlite3")
    runner = ProjectionRunner(
        lambda: make_reader(kafka.bootstrap_servers, client_id="refusing"), store, ChangeHub(), kafka.events_topic
    )
    await runner.start(await partitions_of(kafka, kafka.events_topic))
    try:
        await runner.wait_caught_up(30)
        assert await store.get("tnt_a", "neighbour-1") is not None
        assert await store.get("tnt_a", "neighbour-2") is not None
        assert await store.get("tnt_a", RefusingReadModel.refused) is None
        # The handler runs these too; its later events for the refused one cannot apply either.
        reasons = [entry.reason for entry in runner.quarantine.latest]
        assert sum("cannot be stored" in reason for reason in reasons) == 1, reasons
    finally:
        await runner.stop()
        await store.close()


async def test_poison_on_the_tenancy_files_and_tokens_topics_is_skipped(stack: Stack) -> None:
    kafka = stack.gateway_settings.kafka
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all")
    await producer.start()
    try:
        for topic in (kafka.tenancy_topic, kafka.files_topic, kafka.tokens_topic):
            for value in (uuid.uuid4().bytes * 8, b'{"type": "tenant.teleported.v1"}', b"[]"):
                await producer.send_and_wait(topic, value, key=b"poison")
    finally:
        await producer.stop()

    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    async with stack.http.post(f"{stack.base_url}/admin/tenants", json={"name": "After poison"}, headers=admin) as r:
        assert r.status == 201, await r.text()
    status, uploaded = await stack.upload("after.txt", b"Uploads still work. Sentences here.")
    assert status == 201, uploaded
    streamed = await stack.trigger("pl_streaming_summarizer", {"query": "Tokens still flow. Yes they do."})
    assert (await stack.wait_terminal(streamed["executionId"]))["status"] == "succeeded"
    events = await stack.read_sse(f"/channels/ch_{streamed['executionId']}/stream", timeout=30)
    assert any(e.event == "token" for e in events) and events[-1].event == "stream-complete"
    await ready(stack)
