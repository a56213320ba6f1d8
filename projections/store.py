"""The SQLite read model: current executions, their event history, log positions.

Rows and the Kafka positions they came from are written in one transaction,
so a restarted runner resumes exactly where its rows end: no gap, no repeat.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from contracts.events import ExecutionCreated, ExecutionEvent, ExecutionPromotedToExample, parse_event
from projections.batch import FoldedBatch
from projections.plugged import plugged_projections
from projections.read_model import Projection, stale_projections
from projections.sqlite_files import Statement, connect, fetch_all, fetch_one, open_versioned, write_transaction
from projections.state import ExecutionState, Status
from projections.usage_counts import Usage, UsageCounts, usage_minute, usage_month

log = logging.getLogger(__name__)

P = TypeVar("P", bound=Projection)

SCHEMA_VERSION = 6
"""Bumped on every change below: an older file is discarded and rebuilt from the log.

`events` is a rowid table: its rows (whole events) are too large for a WITHOUT ROWID b-tree,
where an insert at a random id cost three times as much (bench/results/README.md, stop 18)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS executions (
    execution_id TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    pipeline_id  TEXT NOT NULL,
    status       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    sequence     INTEGER NOT NULL,
    state_json   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS executions_by_tenant
    ON executions (tenant_id, created_at DESC, execution_id DESC);
CREATE INDEX IF NOT EXISTS executions_by_pipeline
    ON executions (tenant_id, pipeline_id, created_at DESC, execution_id DESC);
CREATE TABLE IF NOT EXISTS events (
    execution_id TEXT NOT NULL,
    sequence     INTEGER NOT NULL,
    type         TEXT NOT NULL,
    time         TEXT NOT NULL,
    topic        TEXT NOT NULL,
    partition    INTEGER NOT NULL,
    offset       INTEGER NOT NULL,
    event_json   TEXT NOT NULL,
    PRIMARY KEY (execution_id, sequence)
);
CREATE TABLE IF NOT EXISTS idempotency_keys (
    tenant_id         TEXT NOT NULL,
    idempotency_key   TEXT NOT NULL,
    fingerprint       TEXT NOT NULL,
    execution_id      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, idempotency_key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS monthly_usage (
    tenant_id  TEXT NOT NULL,
    month      TEXT NOT NULL,
    executions INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, month)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS minute_usage (
    actor      TEXT NOT NULL,
    minute     TEXT NOT NULL,
    executions INTEGER NOT NULL,
    PRIMARY KEY (actor, minute)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS example_sets (
    example_set_id TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    name           TEXT NOT NULL,
    description    TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS example_sets_by_tenant ON example_sets (tenant_id, created_at);
CREATE TABLE IF NOT EXISTS examples (
    example_id     TEXT PRIMARY KEY,
    example_set_id TEXT NOT NULL,
    execution_id   TEXT NOT NULL,
    name           TEXT NOT NULL,
    rationale      TEXT NOT NULL,
    input_json     TEXT NOT NULL,
    output_json    TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS examples_by_set ON examples (example_set_id, created_at);
CREATE TABLE IF NOT EXISTS feed (
    position     INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    TEXT NOT NULL,
    execution_id TEXT NOT NULL,
    sequence     INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS feed_by_tenant ON feed (tenant_id, position);
CREATE TABLE IF NOT EXISTS positions (
    topic       TEXT NOT NULL,
    partition   INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    PRIMARY KEY (topic, partition)
) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class IdempotentCreate:
    fingerprint: str
    execution_id: str


@dataclass(frozen=True)
class Page:
    items: list[ExecutionState]
    total: int


class ReadModel:
    """One writer connection for the runner, one reader connection for queries.

    The runner is the file's only writer, so the states it committed last are also kept in
    memory: a read of a recent execution answers from there, exactly as of the last commit,
    without a trip to SQLite's thread.
    """

    def __init__(
        self,
        writer: aiosqlite.Connection,
        reader: aiosqlite.Connection,
        cached_states: int,
        projections: Sequence[Projection] = (),
        stale: Sequence[Projection] = (),
        usage_counts: UsageCounts | None = None,
    ) -> None:
        self._writer = writer
        self._reader = reader
        self.projections = tuple(projections)
        self._usage_counts = usage_counts or UsageCounts(datetime.now(UTC))
        self.stale_projections = list(stale)
        """Plugged-in projections still to be backfilled from the log up to `positions`."""
        self._recent: OrderedDict[str, ExecutionState] = OrderedDict()
        self._api_bodies: dict[str, tuple[ExecutionState, bytes]] = {}
        self._cached_states = cached_states

    @classmethod
    async def open(
        cls,
        path: Path,
        cached_states: int = 20_000,
        projections: Sequence[Projection] | None = None,
        durable: bool = True,
    ) -> ReadModel:
        """`projections`: the plugged-in ones beside the built-in tables; all of them by default.
        `durable=False` for a rebuild into a fresh file (`sqlite_files.connect`)."""
        projections = plugged_projections() if projections is None else projections
        writer = await open_versioned(path, SCHEMA, SCHEMA_VERSION, durable)
        stale = await stale_projections(writer, projections)
        usage_counts = await UsageCounts.load(writer, datetime.now(UTC))
        reader = await connect(path)
        return cls(writer, reader, cached_states, projections, stale, usage_counts)

    def projection(self, kind: type[P]) -> P:
        """The plugged-in projection of this type, for its queries."""
        return next(p for p in self.projections if isinstance(p, kind))

    @property
    def reader(self) -> aiosqlite.Connection:
        """The connection projections' queries read with (one step each: `fetch_all`)."""
        return self._reader

    @property
    def writer(self) -> aiosqlite.Connection:
        """The runner's connection; only the runner and backfills write with it."""
        return self._writer

    async def close(self) -> None:
        await self._reader.close()
        await self._writer.close()

    async def positions(self, topic: str) -> dict[int, int]:
        async with self._writer.execute(
            "SELECT partition, next_offset FROM positions WHERE topic = ?", (topic,)
        ) as cursor:
            return {partition: offset async for partition, offset in cursor}

    async def load_states(self, execution_ids: set[str]) -> dict[str, ExecutionState]:
        """The current states of these executions (for the writer: what a new batch folds onto)."""
        known = {i: self._recent[i] for i in execution_ids if i in self._recent}
        missing = tuple(execution_ids - known.keys())
        if not missing:
            return known
        marks = ",".join("?" * len(missing))
        sql = f"SELECT state_json FROM executions WHERE execution_id IN ({marks})"
        rows = await fetch_all(self._writer, sql, missing)
        states = (ExecutionState.model_validate_json(row[0]) for row in rows)
        return known | {state.execution_id: state for state in states}

    async def commit(self, folded: FoldedBatch, topic: str, next_offsets: dict[int, int]) -> None:
        """Write a folded batch and the positions after it, atomically."""
        changed = folded.changed()
        created = [r.event for r in folded.history if isinstance(r.event, ExecutionCreated)]
        await write_transaction(self._writer, self._statements(folded, changed, created, topic, next_offsets))
        self._remember(changed)
        self._usage_counts.add(created)

    def _statements(
        self,
        folded: FoldedBatch,
        changed: list[ExecutionState],
        created: list[ExecutionCreated],
        topic: str,
        next_offsets: dict[int, int],
    ) -> list[Statement]:
        statements: list[Statement] = [
            (
                "INSERT OR REPLACE INTO executions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [_execution_row(state) for state in changed],
            ),
            (
                "INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        r.event.subject,
                        r.event.sequence,
                        r.event.type,
                        sortable_time(r.event.time),
                        r.topic,
                        r.partition,
                        r.offset,
                        r.value.decode(),
                    )
                    for r in folded.history
                ],
            ),
            # The change feed's order: the order this runner applied them, which is log order
            # within each partition and so within each execution.
            (
                "INSERT INTO feed (tenant_id, execution_id, sequence) VALUES (?, ?, ?)",
                [(r.event.tenantid, r.event.subject, r.event.sequence) for r in folded.history],
            ),
            # The first execution created with a key keeps it.
            (
                "INSERT OR IGNORE INTO idempotency_keys VALUES (?, ?, ?, ?)",
                [row for event in created if (row := _idempotency_row(event)) is not None],
            ),
            (
                "INSERT INTO minute_usage VALUES (?, ?, 1) "
                "ON CONFLICT (actor, minute) DO UPDATE SET executions = executions + 1",
                [(event.data.created_by, usage_minute(event.time)) for event in created],
            ),
            (
                "INSERT INTO monthly_usage VALUES (?, ?, 1) "
                "ON CONFLICT (tenant_id, month) DO UPDATE SET executions = executions + 1",
                [(event.tenantid, usage_month(event.time)) for event in created],
            ),
            *_promotion_statements(folded),
        ]
        for projection in self.projections:
            statements += projection.changes(folded.steps)
        statements.append(
            (
                "INSERT OR REPLACE INTO positions VALUES (?, ?, ?)",
                [(topic, partition, offset) for partition, offset in next_offsets.items()],
            )
        )
        return statements

    def _remember(self, states: list[ExecutionState]) -> None:
        for state in states:
            self._recent[state.execution_id] = state
            self._recent.move_to_end(state.execution_id)
            self._api_bodies.pop(state.execution_id, None)
        while len(self._recent) > self._cached_states:
            evicted, _ = self._recent.popitem(last=False)
            self._api_bodies.pop(evicted, None)

    def api_body(self, state: ExecutionState) -> bytes:
        """The execution as the API shows it, as JSON bytes: made once per state, not per read."""
        cached = self._api_bodies.get(state.execution_id)
        if cached is not None and cached[0] is state:
            return cached[1]
        body = state.api_json().encode()
        if self._recent.get(state.execution_id) is state:
            self._api_bodies[state.execution_id] = (state, body)
        return body

    async def example_sets(self, tenant_id: str) -> list[dict[str, Any]]:
        rows = await fetch_all(
            self._reader,
            "SELECT s.example_set_id, s.name, s.description, s.created_at, count(e.example_id) "
            "FROM example_sets s LEFT JOIN examples e USING (example_set_id) "
            "WHERE s.tenant_id = ? GROUP BY s.example_set_id ORDER BY s.created_at DESC",
            (tenant_id,),
        )
        return [{"exampleSetId": r[0], "name": r[1], "description": r[2], "createdAt": r[3], "exampleCount": r[4]}
                for r in rows]  # fmt: skip

    async def example_set(self, tenant_id: str, example_set_id: str) -> dict[str, Any] | None:
        found = [s for s in await self.example_sets(tenant_id) if s["exampleSetId"] == example_set_id]
        if not found:
            return None
        rows = await fetch_all(
            self._reader,
            "SELECT example_id, execution_id, name, rationale, input_json, output_json, created_at "
            "FROM examples WHERE example_set_id = ? ORDER BY created_at, example_id",
            (example_set_id,),
        )
        keys = ("exampleId", "executionId", "name", "rationale", "input", "output", "createdAt")
        examples = [dict(zip(keys, (*r[:4], json.loads(r[4]), json.loads(r[5]), r[6]), strict=True)) for r in rows]
        return {**found[0], "examples": examples}

    async def examples_of(self, tenant_id: str, execution_id: str) -> list[dict[str, str]]:
        """The examples made of this execution, with the name of each one's set."""
        rows = await fetch_all(
            self._reader,
            "SELECT e.example_id, e.example_set_id, s.name, e.name, e.rationale FROM examples e "
            "JOIN example_sets s USING (example_set_id) WHERE s.tenant_id = ? AND e.execution_id = ? "
            "ORDER BY e.created_at, e.example_id",
            (tenant_id, execution_id),
        )
        keys = ("exampleId", "exampleSetId", "exampleSetName", "exampleName", "rationale")
        return [dict(zip(keys, map(str, row), strict=True)) for row in rows]

    async def get(self, tenant_id: str, execution_id: str) -> ExecutionState | None:
        recent = self._recent.get(execution_id)
        if recent is not None:
            return recent if recent.tenant_id == tenant_id else None
        row = await fetch_one(
            self._reader,
            "SELECT state_json FROM executions WHERE execution_id = ? AND tenant_id = ?",
            (execution_id, tenant_id),
        )
        return ExecutionState.model_validate_json(row[0]) if row else None

    async def search(
        self,
        tenant_id: str,
        *,
        pipeline_id: str | None,
        status: Status | None,
        page: int,
        page_size: int,
    ) -> Page:
        where, args = ["tenant_id = ?"], [tenant_id]
        if pipeline_id is not None:
            where.append("pipeline_id = ?")
            args.append(pipeline_id)
        if status is not None:
            where.append("status = ?")
            args.append(status.value)
        clause = " AND ".join(where)
        (total,) = await fetch_one(self._reader, f"SELECT count(*) FROM executions WHERE {clause}", args) or (0,)
        rows = await fetch_all(
            self._reader,
            f"SELECT state_json FROM executions WHERE {clause} "
            "ORDER BY created_at DESC, execution_id DESC LIMIT ? OFFSET ?",
            [*args, page_size, (page - 1) * page_size],
        )
        return Page([ExecutionState.model_validate_json(row[0]) for row in rows], total)

    async def find_idempotent(self, tenant_id: str, key: str) -> IdempotentCreate | None:
        row = await fetch_one(
            self._reader,
            "SELECT fingerprint, execution_id FROM idempotency_keys WHERE tenant_id = ? AND idempotency_key = ?",
            (tenant_id, key),
        )
        return IdempotentCreate(fingerprint=row[0], execution_id=row[1]) if row else None

    async def usage(self, tenant_id: str, actor: str, now: datetime) -> Usage:
        """Creations by `actor` in this minute and the one before, and by the tenant this month."""
        counted = self._usage_counts.usage(tenant_id, actor, now)
        if counted is not None:
            return counted
        minutes = (usage_minute(now), usage_minute(now - timedelta(minutes=1)))
        rows = await fetch_all(
            self._reader,
            "SELECT minute, executions FROM minute_usage WHERE actor = ? AND minute IN (?, ?)",
            (actor, *minutes),
        )
        by_minute = {minute: count for minute, count in rows}
        row = await fetch_one(
            self._reader,
            "SELECT executions FROM monthly_usage WHERE tenant_id = ? AND month = ?",
            (tenant_id, usage_month(now)),
        )
        return Usage(
            actor_this_minute=by_minute.get(minutes[0], 0),
            actor_previous_minute=by_minute.get(minutes[1], 0),
            tenant_this_month=row[0] if row else 0,
        )

    async def feed(self, tenant_id: str, after: int, limit: int) -> list[tuple[int, str]]:
        """The tenant's lifecycle events after feed position `after`: (position, event JSON as on the log)."""
        rows = await fetch_all(
            self._reader,
            "SELECT f.position, e.event_json FROM feed f "
            "JOIN events e ON e.execution_id = f.execution_id AND e.sequence = f.sequence "
            "WHERE f.tenant_id = ? AND f.position > ? ORDER BY f.position LIMIT ?",
            (tenant_id, after, limit),
        )
        return [(int(position), str(event_json)) for position, event_json in rows]

    async def history(self, execution_id: str) -> list[ExecutionEvent]:
        rows = await fetch_all(
            self._reader, "SELECT event_json FROM events WHERE execution_id = ? ORDER BY sequence", (execution_id,)
        )
        return [parse_event(row[0]) for row in rows]


SORTABLE_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def sortable_time(moment: datetime) -> str:
    """UTC with fixed-width microseconds, so text order is time order: `SORTABLE_FORMAT`, built with
    isoformat, which takes half strftime's time (years are four digits: the contract's bounds)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")[:26] + "Z"


def _promotion_statements(folded: FoldedBatch) -> list[Statement]:
    sets, examples = [], []
    for record in folded.promotions:
        event = record.event
        assert isinstance(event, ExecutionPromotedToExample)
        data, state, when = event.data, folded.states[event.subject], sortable_time(event.time)
        if data.new_example_set is not None:
            new = data.new_example_set
            sets.append((data.example_set_id, event.tenantid, new.name, new.description, when))
        examples.append((data.example_id, data.example_set_id, event.subject, data.example_name,
                         data.rationale, state.input.model_dump_json(by_alias=True), json.dumps(state.output),
                         when))  # fmt: skip
    return [
        ("INSERT OR IGNORE INTO example_sets VALUES (?, ?, ?, ?, ?)", sets),
        ("INSERT OR IGNORE INTO examples VALUES (?, ?, ?, ?, ?, ?, ?, ?)", examples),
    ]


def _idempotency_row(event: ExecutionEvent) -> tuple[str, str, str, str] | None:
    if not isinstance(event, ExecutionCreated) or event.data.idempotency_key is None:
        return None
    fingerprint = event.data.request_fingerprint or ""
    return (event.tenantid, event.data.idempotency_key, fingerprint, event.subject)


def _execution_row(state: ExecutionState) -> tuple[str, str, str, str, str, str, int, str]:
    return (
        state.execution_id,
        state.tenant_id,
        state.pipeline_id,
        state.status.value,
        sortable_time(state.created_at),
        state.created_by,
        state.sequence,
        state.model_dump_json(),
    )
