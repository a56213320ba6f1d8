"""Reading a topic from its first offset to where it ended when the read began: for audits."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiokafka import ConsumerRecord, TopicPartition

from projections.kafka_client import make_reader, stop_within


async def whole_topic(bootstrap_servers: str, topic: str, partitions: list[int]) -> AsyncIterator[ConsumerRecord]:
    """Every record of `topic` up to its end now, partition by partition in log order."""
    consumer = make_reader(bootstrap_servers, client_id=f"audit-{topic}")
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        # Positions, not record offsets: transaction markers take offsets no consumer receives.
        while any([await consumer.position(tp) < ends[tp] for tp in tps]):
            for batch in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                for record in batch:
                    if record.offset < ends[TopicPartition(record.topic, record.partition)]:
                        yield record
    finally:
        await stop_within(consumer)
