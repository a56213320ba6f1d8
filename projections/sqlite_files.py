"""Opening a read model's SQLite file (rebuilt from scratch when its schema is older), and reading it."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)


async def connect(path: Path, durable: bool = True) -> aiosqlite.Connection:
    """`durable=False`: commits never wait for the disk, and a crash of the machine may leave
    the file unreadable. Only for a file that is rebuilt from scratch if it is cut short."""
    # isolation_level=None: writers issue BEGIN IMMEDIATE themselves, one per batch.
    db = await aiosqlite.connect(path, isolation_level=None)
    await db.execute("PRAGMA journal_mode=WAL")
    await db.execute(f"PRAGMA synchronous={'NORMAL' if durable else 'OFF'}")
    await db.execute("PRAGMA busy_timeout=5000")
    return db


async def open_versioned(path: Path, schema: str, version: int, durable: bool = True) -> aiosqlite.Connection:
    """A connection to `path` with `schema` in place. A file of another schema version is
    deleted first: read models are disposable, rebuilt from the log rather than migrated."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = await connect(path, durable)
    if await _version_of(db) != version and await _has_tables(db):
        log.warning("%s has an older schema; rebuilding it from the log", path)
        await db.close()
        for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)
        db = await connect(path, durable)
    await db.executescript(schema)
    await db.execute(f"PRAGMA user_version = {version}")
    await db.commit()
    return db


async def _version_of(db: aiosqlite.Connection) -> int:
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _has_tables(db: aiosqlite.Connection) -> bool:
    """A file with tables but no version predates versioning: stale too."""
    async with db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'") as cursor:
        row = await cursor.fetchone()
    return bool(row and row[0])


Row = tuple[Any, ...]


Statement = tuple[str, Sequence[Sequence[Any]]]
"""An `executemany`: SQL with `?` marks, and the rows to run it with."""


async def write_transaction(db: aiosqlite.Connection, statements: Sequence[Statement]) -> None:
    """Run every statement in one transaction, in one step on the connection's thread.

    Each `await` of an aiosqlite call is a round trip to its thread and back through the event
    loop; under load every one waits behind the loop's other work, so a batch's fourteen
    statements took 11 ms at the median and 85 ms at p99 mostly waiting (bench/results/README.md,
    stop 18). aiosqlite has no public call for running a function on its thread: `_execute` is
    what its own methods use (pinned in pyproject.toml)."""
    await db._execute(_run_in_transaction, db._conn, statements)  # type: ignore[no-untyped-call]


def _run_in_transaction(conn: sqlite3.Connection, statements: Sequence[Statement]) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        for sql, rows in statements:
            if rows:
                conn.executemany(sql, rows)
    except BaseException:
        conn.rollback()
        raise
    conn.commit()


async def fetch_all(db: aiosqlite.Connection, sql: str, args: Sequence[Any] = ()) -> list[Row]:
    """Run a query and read all its rows in one step on the connection's thread.

    A statement left open between `execute` and `fetch*` keeps its connection's read
    snapshot: every query that overlaps it on the same connection sees the database as it
    was then, however many commits came after. Under steady load requests always overlap,
    so a reader connection could lag its writer indefinitely; finishing every statement in
    one step means each query starts from the latest commit.
    """
    rows = await db.execute_fetchall(sql, args)
    return [tuple(row) for row in rows]


async def fetch_one(db: aiosqlite.Connection, sql: str, args: Sequence[Any] = ()) -> Row | None:
    rows = await fetch_all(db, sql, args)
    return rows[0] if rows else None
