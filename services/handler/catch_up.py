"""Where a partition's records end, as a read_committed consumer will see them.

A new owner runs nothing until it has folded every record that was on its partitions
when it got them. The end offset cannot say where that is: transaction markers take
offsets too, and no consumer ever receives them, so a partition may end in offsets
that never arrive. This reads the tail of each partition to find its last record.
"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, TopicPartition

TAIL = 256


async def records_end(
    reader: AIOKafkaConsumer, topic: str, bounds: dict[int, tuple[int, int]], timeout_s: float = 30.0
) -> dict[int, int]:
    """For each partition with bounds (start, end): one past its last record before `end`,
    or `start` when there is none in between."""
    found: dict[int, int] = {}
    async with asyncio.timeout(timeout_s):
        for partition, (start, end) in bounds.items():
            found[partition] = await _partition_records_end(reader, TopicPartition(topic, partition), start, end)
    return found


async def _partition_records_end(reader: AIOKafkaConsumer, tp: TopicPartition, start: int, end: int) -> int:
    window = TAIL
    while True:
        window_start = max(start, end - window)
        last = await _last_record_before(reader, tp, window_start, end)
        if last is not None:
            return last + 1
        if window_start == start:
            return start
        window *= 4  # only markers or aborted records in this tail: look further back


async def _last_record_before(reader: AIOKafkaConsumer, tp: TopicPartition, begin: int, end: int) -> int | None:
    reader.assign([tp])
    reader.seek(tp, begin)
    last = None
    while await reader.position(tp) < end:
        batches = await reader.getmany(tp, timeout_ms=200)
        for record in batches.get(tp, []):
            if record.offset < end:
                last = record.offset
    return last
