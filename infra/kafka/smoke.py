"""End-to-end check of the local Kafka broker; exits non-zero on failure.

    python -m infra.kafka.smoke [--data-dir DIR] [--keep]

Fetches the jars (if needed), starts a broker on a fresh data dir, creates a topic
with the aiokafka admin client, produces with an idempotent producer and with a
transactional producer, consumes both (read_committed), restarts the broker on
the same data dir, reads the messages again, stops it and checks the JVM is gone.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from infra.kafka.launcher import LocalBroker, ensure_classpath

T = TypeVar("T")
TOPIC = "smoke-events"
STEP_TIMEOUT = 30.0


async def _bounded(step: Awaitable[T], what: str) -> T:
    """Every client call gets a deadline (aiokafka can hang while a broker is down)."""
    try:
        return await asyncio.wait_for(step, STEP_TIMEOUT)
    except TimeoutError:
        raise RuntimeError(f"timed out: {what}") from None


async def create_topic(servers: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await _bounded(admin.start(), "admin start")
    try:
        topic = NewTopic(TOPIC, num_partitions=3, replication_factor=1)
        await _bounded(admin.create_topics([topic]), "create topic")
        topics = await _bounded(admin.list_topics(), "list topics")
        if TOPIC not in topics:
            raise RuntimeError(f"topic {TOPIC} missing after create: {topics}")
    finally:
        await _bounded(admin.close(), "admin close")


async def produce_idempotent(servers: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=servers, acks="all", enable_idempotence=True)
    await _bounded(producer.start(), "idempotent producer start")
    try:
        await _bounded(producer.send_and_wait(TOPIC, b"idempotent", key=b"k1"), "send")
    finally:
        await _bounded(producer.stop(), "idempotent producer stop")


async def produce_transactional(servers: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=servers, transactional_id="smoke-tx")
    await _bounded(producer.start(), "transactional producer start")
    try:
        async with producer.transaction():
            await _bounded(producer.send_and_wait(TOPIC, b"transactional", key=b"k2"), "tx send")
        await _bounded(producer.begin_transaction(), "begin transaction")
        await _bounded(producer.send_and_wait(TOPIC, b"aborted", key=b"k3"), "tx send (aborted)")
        await _bounded(producer.abort_transaction(), "abort transaction")
    finally:
        await _bounded(producer.stop(), "transactional producer stop")


async def consume(servers: str, group: str, expected: set[bytes]) -> set[bytes]:
    consumer = AIOKafkaConsumer(
        TOPIC,
        bootstrap_servers=servers,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    await _bounded(consumer.start(), "consumer start")
    seen: set[bytes] = set()
    try:
        deadline = time.monotonic() + STEP_TIMEOUT
        while not expected <= seen and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=1000)
            seen.update(m.value for msgs in batches.values() for m in msgs if m.value)
        await _bounded(consumer.commit(), "commit")
    finally:
        await _bounded(consumer.stop(), "consumer stop")
    return seen


async def first_round(servers: str) -> None:
    await create_topic(servers)
    await produce_idempotent(servers)
    await produce_transactional(servers)
    _check(await consume(servers, "smoke-1", {b"idempotent", b"transactional"}))


async def second_round(servers: str) -> None:
    _check(await consume(servers, "smoke-2", {b"idempotent", b"transactional"}))


def _check(seen: set[bytes]) -> None:
    expected = {b"idempotent", b"transactional"}
    if seen != expected:
        raise RuntimeError(f"consumed {sorted(seen)}, expected exactly {sorted(expected)}")


def _timed(label: str, action: Callable[[], object]) -> float:
    started = time.monotonic()
    action()
    elapsed = time.monotonic() - started
    print(f"{label}: {elapsed:.2f}s", flush=True)
    return elapsed


def _assert_gone(pid: int | None) -> None:
    if pid is None:
        raise RuntimeError("broker had no pid")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return
    raise RuntimeError(f"broker process {pid} still alive after stop()")


def run(data_dir: Path) -> None:
    _timed("fetch jars (ensure_classpath)", ensure_classpath)
    broker = LocalBroker(data_dir)
    try:
        _timed("start (fresh data dir)", broker.start)
        print(f"bootstrap servers: {broker.bootstrap_servers}", flush=True)
        _timed(
            "admin + idempotent + transactional + consume",
            lambda: asyncio.run(first_round(broker.bootstrap_servers)),
        )
        pid = broker.pid
        _timed("stop", broker.stop)
        _assert_gone(pid)
        _timed("restart (same data dir)", broker.start)
        _timed("consume after restart", lambda: asyncio.run(second_round(broker.bootstrap_servers)))
        pid = broker.pid
        _timed("stop", broker.stop)
        _assert_gone(pid)
    finally:
        broker.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.kafka.smoke")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the data dir")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="kafka-smoke-"))
    try:
        run(data_dir)
    except Exception as exc:  # noqa: BLE001 - report and fail
        print(f"SMOKE FAILED: {exc}", file=sys.stderr, flush=True)
        print(f"(broker log: {data_dir / 'broker.log'})", file=sys.stderr)
        return 1
    if not args.keep and args.data_dir is None:
        shutil.rmtree(data_dir, ignore_errors=True)
    print("SMOKE OK", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
