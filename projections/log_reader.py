"""Reading a topic from its first offset up to a bound: for audits, replays and backfills."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from projections.kafka_client import make_reader, stop_within


async def whole_topic(bootstrap_servers: str, topic: str, partitions: list[int]) -> AsyncIterator[ConsumerRecord]:
    """Every record of `topic` up to its end now, partition by partition in log order."""
    consumer = make_reader(bootstrap_servers, client_id=f"audit-{topic}")
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        async for record in records_until(consumer, {tp.partition: end for tp, end in ends.items()}, topic):
            yield record
    finally:
        await stop_within(consumer)


async def records_until(consumer: AIOKafkaConsumer, until: dict[int, int], topic: str) -> AsyncIterator[ConsumerRecord]:
    """Records of a started consumer's `topic` from offset 0 up to `until` (next offsets),
    in log order within each partition."""
    tps = [TopicPartition(topic, p) for p, end in until.items() if end > 0]
    if not tps:
        return
    consumer.assign(tps)
    await consumer.seek_to_beginning(*tps)
    reading = set(tps)
    while reading:
        for batch in (await consumer.getmany(*reading, timeout_ms=500, max_records=5000)).values():
            for record in batch:
                if record.offset < until[record.partition]:
                    yield record
        # Positions, not record offsets: transaction markers take offsets no consumer receives.
        reading = {tp for tp in reading if await consumer.position(tp) < until[tp.partition]}
