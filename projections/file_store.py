"""Uploaded files' extracted text, folded from the files topic into a SQLite file.

Extractions can be large and are read one at a time, so they live on disk,
not in memory. Rows and the topic position after them are written together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import aiosqlite

from contracts.files import FileExtracted, FileExtractedData
from projections.sqlite_files import connect, fetch_one, open_versioned, write_transaction

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    file_id       TEXT PRIMARY KEY,
    extraction_id TEXT NOT NULL UNIQUE,
    tenant_id     TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    data_json     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency_keys (
    tenant_id       TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    file_id         TEXT NOT NULL,
    PRIMARY KEY (tenant_id, idempotency_key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS position (
    topic       TEXT PRIMARY KEY,
    next_offset INTEGER NOT NULL
);
"""


@dataclass(frozen=True)
class StoredFile:
    tenant_id: str
    created_at: datetime
    data: FileExtractedData

    def to_api(self) -> dict[str, object]:
        """What `POST /files` and `GET /files/{id}` answer: everything but the text itself."""
        data = self.data
        return {
            "fileId": data.file_id,
            "extractionId": data.extraction_id,
            "fileName": data.file_name,
            "mediaType": data.media_type,
            "sizeBytes": data.size_bytes,
            "sha256": data.sha256,
            "pageCount": len(data.page_starts),
            "characterCount": len(data.text),
            "createdAt": self.created_at.isoformat().replace("+00:00", "Z"),
            "createdBy": data.created_by,
        }


class FileStore:
    """One writer connection for the follower, one reader connection for lookups, so a
    lookup never runs inside the follower's open transaction."""

    def __init__(self, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        self._writer = writer
        self._reader = reader

    @classmethod
    async def open(cls, path: Path) -> FileStore:
        writer = await open_versioned(path, SCHEMA, SCHEMA_VERSION)
        return cls(writer, await connect(path))

    async def close(self) -> None:
        await self._reader.close()
        await self._writer.close()

    async def next_offset(self, topic: str) -> int:
        async with self._writer.execute("SELECT next_offset FROM position WHERE topic = ?", (topic,)) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def commit(self, events: list[FileExtracted], topic: str, next_offset: int) -> None:
        """Store a batch and the position after it, atomically. A file seen twice keeps its first row."""
        await write_transaction(
            self._writer,
            [
                (
                    "INSERT OR IGNORE INTO files VALUES (?, ?, ?, ?, ?)",
                    [
                        (e.data.file_id, e.data.extraction_id, e.tenantid, e.time.isoformat(), e.data.model_dump_json())
                        for e in events
                    ],
                ),
                # The first file uploaded with a key keeps it.
                (
                    "INSERT OR IGNORE INTO idempotency_keys VALUES (?, ?, ?, ?)",
                    [
                        (e.tenantid, e.data.idempotency_key, e.data.request_fingerprint or "", e.data.file_id)
                        for e in events
                        if e.data.idempotency_key is not None
                    ],
                ),
                ("INSERT OR REPLACE INTO position VALUES (?, ?)", [(topic, next_offset)]),
            ],
        )

    async def find_idempotent(self, tenant_id: str, key: str) -> tuple[str, str] | None:
        """The fingerprint and file id of the tenant's first upload with this Idempotency-Key."""
        row = await fetch_one(
            self._reader,
            "SELECT fingerprint, file_id FROM idempotency_keys WHERE tenant_id = ? AND idempotency_key = ?",
            (tenant_id, key),
        )
        return (row[0], row[1]) if row else None

    async def by_file_id(self, tenant_id: str, file_id: str) -> StoredFile | None:
        return await self._one("file_id", tenant_id, file_id)

    async def by_extraction_id(self, tenant_id: str, extraction_id: str) -> StoredFile | None:
        return await self._one("extraction_id", tenant_id, extraction_id)

    async def _one(self, column: str, tenant_id: str, value: str) -> StoredFile | None:
        # Another tenant's file is looked up as if it did not exist.
        row = await fetch_one(
            self._reader,
            f"SELECT tenant_id, created_at, data_json FROM files WHERE {column} = ? AND tenant_id = ?",
            (value, tenant_id),
        )
        if row is None:
            return None
        return StoredFile(row[0], datetime.fromisoformat(row[1]), FileExtractedData.model_validate_json(row[2]))
