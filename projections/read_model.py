"""The interface a new read model plugs into, and how one added later catches up.

A `Projection` owns a few tables in the executions read model's SQLite file. It is handed
each batch's `Step`s (state before and after each event, folded once by `evolve` for every
projection) and answers the statements that fold them into its tables; the runner runs those
in the same transaction as its rows and log positions, so all projections are always exactly
as of one log position and a restart never double-counts.

A projection whose tables are missing or of another `version` is rebuilt: its tables are
dropped, and the log up to the read model's current position is folded again into it alone
(`backfill`), before the runner goes on feeding it with the others.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable, Sequence
from typing import Protocol

import aiosqlite
from aiokafka import ConsumerRecord

from contracts.codec import UndecodableEvent, decode
from projections.batch import LoggedEvent, Step, fold_batch
from projections.sqlite_files import Statement, fetch_all
from projections.state import ExecutionState

log = logging.getLogger(__name__)

VERSIONS_SCHEMA = """
CREATE TABLE IF NOT EXISTS projection_versions (
    name    TEXT PRIMARY KEY,
    version INTEGER NOT NULL
) WITHOUT ROWID;
"""
BACKFILL_CHUNK = 5000


class Projection(Protocol):
    name: str
    """Unique among the read model's projections; keys its version row."""
    version: int
    """Bumped whenever its tables or what it derives change: the projection is then rebuilt."""
    schema: str
    """`CREATE TABLE IF NOT EXISTS …` statements for its own tables."""
    tables: tuple[str, ...]
    """Its tables, dropped on a rebuild."""

    def changes(self, steps: Sequence[Step]) -> list[Statement]:
        """What folding these steps writes to its tables, without I/O: the runner runs the
        statements in its own transaction, after its rows and before its positions."""
        ...


async def stale_projections(db: aiosqlite.Connection, projections: Sequence[Projection]) -> list[Projection]:
    """Create every projection's tables; return those whose stored version is not theirs."""
    await db.executescript(VERSIONS_SCHEMA)
    rows = await fetch_all(db, "SELECT name, version FROM projection_versions")
    stored: dict[str, int] = {name: version for name, version in rows}
    stale = [p for p in projections if stored.get(p.name) != p.version]
    for projection in stale:
        for table in projection.tables:
            await db.execute(f"DROP TABLE IF EXISTS {table}")
    for projection in projections:
        await db.executescript(projection.schema)
    await db.commit()
    return stale


async def mark_current(db: aiosqlite.Connection, projections: Sequence[Projection]) -> None:
    await db.executemany(
        "INSERT OR REPLACE INTO projection_versions VALUES (?, ?)", [(p.name, p.version) for p in projections]
    )


async def backfill(
    db: aiosqlite.Connection, projections: Sequence[Projection], records: AsyncIterable[ConsumerRecord]
) -> int:
    """Fold `records` (the log from offset 0 to where the read model stands) once, into these
    `projections` alone, in one transaction marked current at its end: a crash midway rebuilds
    them again.

    States are kept in memory only while an execution is live: a finished one can take no
    step, so only its id is kept, and a replayed `Created` of it changes nothing.
    """
    live: dict[str, ExecutionState] = {}
    finished: set[str] = set()
    folded_events = 0
    await db.execute("BEGIN IMMEDIATE")
    try:
        chunk: list[LoggedEvent] = []
        async for record in records:
            item = _logged(record)
            if item is not None and item.event.subject not in finished:
                chunk.append(item)
            if len(chunk) >= BACKFILL_CHUNK:
                folded_events += await _fold_chunk(db, projections, chunk, live, finished)
                chunk = []
        folded_events += await _fold_chunk(db, projections, chunk, live, finished)
        await mark_current(db, projections)
    except BaseException:
        await db.rollback()
        raise
    await db.commit()
    log.info("projections %s backfilled from %d events", ", ".join(p.name for p in projections), folded_events)
    return folded_events


async def _fold_chunk(
    db: aiosqlite.Connection,
    projections: Sequence[Projection],
    chunk: list[LoggedEvent],
    live: dict[str, ExecutionState],
    finished: set[str],
) -> int:
    if not chunk:
        return 0
    subjects = {item.event.subject for item in chunk}
    folded = fold_batch({s: live[s] for s in subjects if s in live}, chunk)
    for projection in projections:
        for sql, rows in projection.changes(folded.steps):
            await db.executemany(sql, rows)
    for subject, state in folded.states.items():
        if state.status.is_terminal:
            live.pop(subject, None)
            finished.add(subject)
        else:
            live[subject] = state
    return len(folded.steps)


def _logged(record: ConsumerRecord) -> LoggedEvent | None:
    try:
        event = decode(record.value)
    except UndecodableEvent:
        return None  # the runner quarantined it when it first read it
    return LoggedEvent(event, record.topic, record.partition, record.offset, record.value)
