"""`executions replay INTO [--compare LIVE]`: every read model rebuilt from offset 0, then compared.

The rebuild runs the gateway's own projection runner into a fresh SQLite file, so it proves
what a new replica would build from the log. The comparison goes table by table and prints
`equal`, or the first rows that differ.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from projections.kafka_client import make_reader
from projections.notifications import ChangeHub
from projections.runner import ProjectionRunner
from projections.store import ReadModel
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


async def rebuild(kafka: KafkaSettings, into: Path, out: IO[str] = sys.stderr) -> Rebuilt:
    into.mkdir(parents=True, exist_ok=True)
    path = into / "replay.sqlite3"
    if path.exists():
        raise SystemExit(f"{path} exists: replay into a fresh directory")
    store = await ReadModel.open(path)
    runner = ProjectionRunner(lambda: make_reader(kafka.bootstrap_servers, "replay"), store, ChangeHub(),
                              kafka.events_topic)  # fmt: skip
    began = time.monotonic()
    await runner.start(await partitions_of(kafka, kafka.events_topic))
    try:
        while not runner.caught_up:
            show_progress(out, *runner.progress(), time.monotonic() - began)
            await asyncio.sleep(0.25)
        show_progress(out, *runner.progress(), time.monotonic() - began)
        out.write("\n")
    finally:
        await runner.stop()
        await store.close()
    return Rebuilt(path, runner.progress()[1], time.monotonic() - began)


def show_progress(out: IO[str], done: int, total: int, seconds: float) -> None:
    rate = done / seconds if seconds else 0.0
    share = done / total if total else 1.0
    eta = (total - done) / rate if rate else float("inf")
    bar = "#" * int(share * 30)
    out.write(f"\r[{bar:<30}] {share:6.1%} {done:,}/{total:,} records  {rate:,.0f}/s  ETA {eta:.1f} s ")
    out.flush()


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
