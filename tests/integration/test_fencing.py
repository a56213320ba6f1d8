"""One writer per partition: a handler that lost its partition cannot append to it any more."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import TopicPartition

from contracts.codec import decode
from projections.kafka_client import make_reader
from services.handler.partition_writer import Fenced, PartitionWriter
from services.kafka_io import ensure_topics, make_producer
from services.kafka_settings import KafkaSettings
from tests.events import completed, created, started


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
