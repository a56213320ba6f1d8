"""One writer per partition: a handler that lost its partition cannot append to it any more."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from aiokafka import TopicPartition
from aiokafka.partitioner import murmur2

from contracts.codec import decode
from projections.kafka_client import make_reader
from services.handler.ordered_writer import Fenced
from services.handler.partition_writer import PartitionWriter, transactional_id
from services.kafka_io import ensure_topics, make_producer
from services.kafka_settings import KafkaSettings
from tests.events import completed, created, started
from tests.integration.stack import running_stack
from tests.integration.test_recovery import read_whole_log


async def committed_subjects_and_types(kafka: KafkaSettings) -> list[tuple[str, str]]:
    reader = make_reader(kafka.bootstrap_servers, client_id="fencing-oracle")
    await reader.start()
    try:
        tp = TopicPartition(kafka.events_topic, 0)
        reader.assign([tp])
        reader.seek(tp, 0)
        end = (await reader.end_offsets([tp]))[tp]
        seen = []
        while await reader.position(tp) < end:
            for record in (await reader.getmany(tp, timeout_ms=500)).get(tp, []):
                event = decode(record.value)
                seen.append((event.subject, event.type))
        return seen
    finally:
        await reader.stop()


async def test_a_new_writer_of_a_partition_fences_the_old_one(kafka_servers: str) -> None:
    kafka = KafkaSettings(kafka_servers, events_topic=f"fence-{uuid.uuid4().hex[:8]}", partitions=1)
    await ensure_topics(kafka)

    def writer(instance: str) -> PartitionWriter:
        def producer(txn_id: str):  # type: ignore[no-untyped-def]
            return make_producer(kafka, client_id=instance, transactional_id=txn_id)

        return PartitionWriter(producer, kafka.events_topic, 0, f"handler/{kafka.events_topic}/0", timeout_s=10)

    zombie, successor = writer("zombie"), writer("successor")
    await zombie.start()
    await zombie.publish(started(2, "a"))
    await successor.start()  # the partition was reassigned; the old owner does not know yet
    with pytest.raises(Fenced):
        await zombie.publish(completed(3, execution_id="a"))
    with pytest.raises(Fenced):
        await zombie.publish(created("b"))
    await successor.publish(completed(3, execution_id="a"))
    await zombie.stop()
    await successor.stop()

    assert await committed_subjects_and_types(kafka) == [
        ("a", "execution.started.v1"),
        ("a", "execution.completed.v1"),
    ], "exactly one Completed, from the successor; nothing of the zombie's after the take-over"


async def test_a_handler_fenced_while_it_still_owns_its_partition_rejoins_and_finishes(
    kafka_servers: str, tmp_path: Path
) -> None:
    async with running_stack(kafka_servers, tmp_path, step_delay_s=0.6) as stack:
        created = await stack.trigger("pl_document_summarizer", {"query": "Fence me. Then finish anyway."})
        execution_id = created["executionId"]
        async with asyncio.timeout(30):
            while (await stack.get(execution_id))[1]["progressPct"] < 20:
                await asyncio.sleep(0.02)

        # Kafka also fences a transaction it timed out; here a stray writer takes the id instead.
        kafka, group = stack.handler_settings.kafka, stack.handler_settings.consumer_group
        partition = (murmur2(execution_id.encode()) & 0x7FFFFFFF) % kafka.partitions
        txn_id = transactional_id(group, kafka.events_topic, partition)
        stray = PartitionWriter(lambda t: make_producer(kafka, "stray", transactional_id=t), kafka.events_topic,
                                partition, txn_id, timeout_s=10)  # fmt: skip
        await stray.start()
        await stray.stop()

        final = await stack.wait_terminal(execution_id, timeout=60)
        assert final["status"] == "succeeded", final
        mine = [e.event for e in await read_whole_log(kafka) if e.event.subject == execution_id]
        assert [e.type for e in mine].count("execution.completed.v1") == 1
        assert [e.sequence for e in mine] == list(range(1, len(mine) + 1)), "contiguous, no repeats"
