"""The Kafka clients a read model needs, and stopping any client within a deadline."""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

log = logging.getLogger(__name__)


def make_reader(
    bootstrap_servers: str, client_id: str, max_partition_fetch_bytes: int = 4 * 1024 * 1024
) -> AIOKafkaConsumer:
    """A group-less consumer for processes that keep their own position."""
    return AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
        auto_offset_reset="earliest",
        # A long poll: the broker answers as soon as records arrive, so this costs no latency,
        # while an idle follower's fetch every 50 ms cost a gateway ~3 % of a core at rest.
        fetch_max_wait_ms=500,
        max_partition_fetch_bytes=max_partition_fetch_bytes,
    )


async def stop_within(client: AIOKafkaProducer | AIOKafkaConsumer, timeout_s: float = 5.0) -> None:
    """Stop a client, but never wait forever: with the broker gone, aiokafka's stop can hang
    (aiokafka #1101) or end in a stray CancelledError from its own fetch tasks."""
    name = type(client).__name__
    try:
        async with asyncio.timeout(timeout_s):
            await client.stop()
    except TimeoutError:
        log.warning("%s did not stop within %ss (broker unreachable?); abandoning it", name, timeout_s)
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise  # we are being cancelled ourselves: let it through
        log.warning("%s stop was interrupted by its own tasks; abandoning it", name)


async def stop_reading(task: asyncio.Task[None] | None, consumer: AIOKafkaConsumer | None) -> None:
    """Stop a loop that reads from `consumer`, then the consumer itself."""
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    if consumer is not None:
        await stop_within(consumer)
