"""Opening a read model's SQLite file, rebuilt from scratch when its schema is older."""

from __future__ import annotations

import logging
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)


async def connect(path: Path) -> aiosqlite.Connection:
    # isolation_level=None: writers issue BEGIN IMMEDIATE themselves, one per batch.
    db = await aiosqlite.connect(path, isolation_level=None)
    await db.execute("PRAGMA journal_mode=WAL")
    await db.execute("PRAGMA synchronous=NORMAL")
    await db.execute("PRAGMA busy_timeout=5000")
    return db


async def open_versioned(path: Path, schema: str, version: int) -> aiosqlite.Connection:
    """A connection to `path` with `schema` in place. A file of another schema version is
    deleted first: read models are disposable, rebuilt from the log rather than migrated."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = await connect(path)
    if await _version_of(db) != version and await _has_tables(db):
        log.warning("%s has an older schema; rebuilding it from the log", path)
        await db.close()
        for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)
        db = await connect(path)
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
