"""`executions replay INTO [--compare LIVE]`: every read model rebuilt from offset 0, then compared.

The rebuild runs the gateway's own projection runner into a fresh SQLite file, so it proves
what a new replica would build from the log; one runner per core, each over a share of the
partitions. The comparison goes table by table and prints
`equal`, or the first rows that differ.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from multiprocessing.sharedctypes import SynchronizedArray
from pathlib import Path
from typing import IO

from projections.batch import FoldedBatch
from projections.kafka_client import make_reader
from projections.notifications import ChangeHub
from projections.read_model import mark_current
from projections.runner import ProjectionRunner
from projections.store import ReadModel
from services.cli.progress import ProgressDisplay
from services.gc_tuning import tune_garbage_collection
from services.kafka_io import partitions_of
from services.kafka_settings import KafkaSettings

TABLES = {
    "executions": ("*", "execution_id"),
    "events": ("*", "execution_id, sequence"),
    "idempotency_keys": ("*", "tenant_id, idempotency_key"),
    "monthly_usage": ("*", "tenant_id, month"),
    "minute_usage": ("*", "actor, minute"),
    "example_sets": ("*", "example_set_id"),
    "examples": ("*", "example_id"),
    # Feed positions depend on how partitions interleaved in each runner's batches; what must
    # match is which events each tenant's feed holds.
    "feed": ("tenant_id, execution_id, sequence", "tenant_id, execution_id, sequence"),
    "positions": ("*", "topic, partition"),
}
SHOWN = 3
PROGRESS_EVERY_S = 0.25
UNKNOWN = -1


@dataclass
class Rebuilt:
    path: Path
    records: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


@dataclass
class Comparison:
    differences: dict[str, list[str]] = field(default_factory=dict)

    @property
    def equal(self) -> bool:
        return not self.differences


def rebuild(kafka: KafkaSettings, into: Path, out: IO[str] = sys.stderr, workers: int | None = None) -> Rebuilt:
    """Every partition folded from offset 0 into one fresh file, by `workers` processes at once
    (one per core by default, at most one per partition).

    Each worker is an ordinary projection runner over its share of the partitions. An execution
    lives on one partition, so no two workers ever write the same execution; the tables they
    share (usage, per-pipeline counts) are only ever added to, and SQLite takes their
    transactions one at a time. What they build is what one runner over every partition builds.
    """
    into.mkdir(parents=True, exist_ok=True)
    path = into / "replay.sqlite3"
    if path.exists():
        raise SystemExit(f"{path} exists: replay into a fresh directory")
    partitions = asyncio.run(_prepare(kafka, path))
    count = max(1, min(workers or os.cpu_count() or 1, len(partitions)))
    shares = [partitions[slot::count] for slot in range(count)]
    # Spawned, not forked: a fork would copy whatever threads and locks this process holds.
    context = multiprocessing.get_context("spawn")
    # Each worker's (applied, total) offsets, side by side; a total of -1 until it has read where its
    # partitions end.
    progress = context.Array("q", [0, UNKNOWN] * count)
    began = time.monotonic()
    display = ProgressDisplay(out)
    processes = [
        context.Process(target=_rebuild_share, args=(kafka, path, share, progress, slot), name=f"replay-{slot}")
        for slot, share in enumerate(shares)
    ]
    try:
        for process in processes:
            process.start()
        while running := [process for process in processes if process.is_alive()]:
            if UNKNOWN not in progress[1::2]:
                display.update(*_summed(progress))
            # Only the running ones: an ended worker's sentinel stays ready, and waiting on it
            # would return at once, round and round, until the last worker ends.
            multiprocessing.connection.wait([process.sentinel for process in running], PROGRESS_EVERY_S)
    except KeyboardInterrupt:
        raise SystemExit(f"\nreplay interrupted; {path} is incomplete: replay into a fresh directory") from None
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join()
    failed = [(share, process.exitcode) for share, process in zip(shares, processes, strict=True) if process.exitcode]
    if failed:
        named = "; ".join(f"partitions {share}: exit status {code}" for share, code in failed)
        raise SystemExit(f"replay failed ({named}); {path} is incomplete: replay into a fresh directory")
    seconds = time.monotonic() - began
    done, total = _summed(progress)
    display.finish(done, total)
    _make_durable(path)
    return Rebuilt(path, total, seconds)


async def _prepare(kafka: KafkaSettings, path: Path) -> list[int]:
    """The file's tables, with every projection marked current (there is nothing to backfill in a
    fresh file): else each worker would find them stale and drop what the others wrote. And a
    position for every partition, as one runner's first commit writes: a worker whose partitions
    are empty never commits."""
    partitions = await partitions_of(kafka, kafka.events_topic)
    store = await ReadModel.open(path)
    try:
        await mark_current(store.writer, store.stale_projections)
        await store.commit(FoldedBatch(states={}), kafka.events_topic, dict.fromkeys(partitions, 0))
    finally:
        await store.close()
    return partitions


def _rebuild_share(
    kafka: KafkaSettings, path: Path, partitions: list[int], progress: SynchronizedArray[int], slot: int
) -> None:
    # Ctrl-C reaches the whole process group: the parent stops the workers and says what is left.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    tune_garbage_collection()
    asyncio.run(_follow_to_the_end(kafka, path, partitions, progress, slot))


async def _follow_to_the_end(
    kafka: KafkaSettings, path: Path, partitions: list[int], progress: SynchronizedArray[int], slot: int
) -> None:
    # Not durable while it is built: a rebuild cut short is started again, never resumed.
    store = await ReadModel.open(path, durable=False)
    runner = ProjectionRunner(lambda: make_reader(kafka.bootstrap_servers, "replay"), store, ChangeHub(),
                              kafka.events_topic)  # fmt: skip
    try:
        await runner.start(partitions)
        while not runner.caught_up:
            progress[2 * slot : 2 * slot + 2] = runner.progress()
            with contextlib.suppress(TimeoutError):
                await runner.wait_caught_up(PROGRESS_EVERY_S)
        progress[2 * slot : 2 * slot + 2] = runner.progress()
    finally:
        await runner.stop()
        await store.close()


def _summed(progress: SynchronizedArray[int]) -> tuple[int, int]:
    values = progress[:]
    return sum(values[0::2]), sum(max(0, total) for total in values[1::2])


def _make_durable(path: Path) -> None:
    """Everything the workers wrote, moved from the write-ahead log into the file and synced."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def compare(rebuilt: Path, live: Path) -> Comparison:
    """Table by table; the live file is opened read-only."""
    found = Comparison()
    with sqlite3.connect(rebuilt) as mine, sqlite3.connect(f"file:{live}?mode=ro", uri=True) as theirs:
        for table, (columns, order) in TABLES.items():
            query = f"SELECT {columns} FROM {table} ORDER BY {order}"
            ours, live_rows = mine.execute(query).fetchall(), theirs.execute(query).fetchall()
            if ours != live_rows:
                found.differences[table] = _first_differences(ours, live_rows)
    return found


def _first_differences(ours: list[tuple[object, ...]], theirs: list[tuple[object, ...]]) -> list[str]:
    only_ours = sorted(set(ours) - set(theirs), key=repr)[:SHOWN]
    only_theirs = sorted(set(theirs) - set(ours), key=repr)[:SHOWN]
    lines = [f"  rebuilt only: {_short(row)}" for row in only_ours]
    lines += [f"  live only:    {_short(row)}" for row in only_theirs]
    return lines or [f"  same rows, {len(ours)} vs {len(theirs)} of them"]


def _short(row: tuple[object, ...]) -> str:
    text = repr(row)
    return text if len(text) <= 200 else text[:197] + "..."


def report(comparison: Comparison, out: IO[str]) -> None:
    if comparison.equal:
        out.write("equal: every table of the rebuilt read model matches the live one\n")
        return
    for table, lines in comparison.differences.items():
        out.write(f"{table} differs:\n" + "\n".join(lines) + "\n")
