"""An event larger than the log takes is refused before it is sent (413), and a send the broker
refuses never breaks the producer for the requests after it."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from pathlib import Path

import pytest
from aiokafka.errors import KafkaError

from contracts.codec import Record
from contracts.topics import MAX_EVENT_RECORD_BYTES
from services.kafka_io import RenewingProducer, ensure_topics, make_producer
from services.kafka_settings import KafkaSettings
from tests.integration.stack import running_stack


async def test_an_oversized_trigger_is_413_and_later_triggers_all_succeed(kafka_servers: str, tmp_path: Path) -> None:
    async with running_stack(kafka_servers, tmp_path, gateway_overrides={"max_body_bytes": 2 * 1024 * 1024}) as stack:
        body = {"input": {"datasets": ["a" * 1_040_000]}}
        status, error = await stack.post("/pipelines/pl_no_op/trigger", body)
        assert (status, error["error"]) == (413, "ContextTooLarge"), error
        assert str(MAX_EVENT_RECORD_BYTES) in error["message"]

        answers = await asyncio.gather(*(stack.post("/pipelines/pl_no_op/trigger", {"input": {}}) for _ in range(60)))
        assert Counter(status for status, _ in answers) == {201: 60}


async def test_a_batch_the_broker_refuses_leaves_a_renewed_producer(kafka_servers: str) -> None:
    topic = f"oversize-{uuid.uuid4().hex[:8]}"
    kafka = KafkaSettings(bootstrap_servers=kafka_servers, events_topic=topic, partitions=1)
    await ensure_topics(kafka)
    producer = RenewingProducer(lambda: make_producer(kafka, client_id="oversize-test"))
    await producer.start()
    try:
        small = Record(b"k", b"small", [])
        await producer.send(kafka.events_topic, small)
        with pytest.raises(KafkaError):  # over the topic's max.message.bytes: the broker refuses the batch
            await producer.send(kafka.events_topic, Record(b"k", b"x" * 1_100_000, []))
        # Without renewal every later batch to the partition fails as out of sequence.
        for _ in range(5):
            metadata = await asyncio.wait_for(producer.send(kafka.events_topic, small), 15)
            assert metadata.partition == 0
    finally:
        await producer.stop()
