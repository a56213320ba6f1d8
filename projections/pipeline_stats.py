"""Per-pipeline statistics: executions by status and how long finished runs took.

A `Projection` plugged into the executions read model (`projections/read_model.py`); it was
added after the log had history, and is backfilled from it on first start.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from projections.batch import Step
from projections.sqlite_files import Statement, fetch_all, fetch_one
from projections.state import ExecutionState, Status

SCHEMA = """
CREATE TABLE IF NOT EXISTS pipeline_status_counts (
    tenant_id   TEXT NOT NULL,
    pipeline_id TEXT NOT NULL,
    status      TEXT NOT NULL,
    executions  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, pipeline_id, status)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pipeline_run_durations (
    tenant_id    TEXT NOT NULL,
    pipeline_id  TEXT NOT NULL,
    duration_ms  INTEGER NOT NULL,
    execution_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, pipeline_id, duration_ms, execution_id)
) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class PipelineStats:
    by_status: dict[str, int]
    finished_runs: int
    p50_ms: int | None
    p95_ms: int | None

    def to_api(self, pipeline_id: str) -> dict[str, Any]:
        return {
            "pipelineId": pipeline_id,
            "executions": sum(self.by_status.values()),
            "byStatus": self.by_status,
            "durationMs": {"finishedRuns": self.finished_runs, "p50": self.p50_ms, "p95": self.p95_ms},
        }


class PipelineStatsProjection:
    name: str = "pipeline_stats"
    version: int = 1
    schema: str = SCHEMA
    tables: tuple[str, ...] = ("pipeline_status_counts", "pipeline_run_durations")

    def changes(self, steps: Sequence[Step]) -> list[Statement]:
        deltas: Counter[tuple[str, str, str]] = Counter()
        durations = []
        for step in steps:
            before, after = step.before, step.after
            if before is not None and before.status is after.status:
                continue
            if before is not None:
                deltas[(after.tenant_id, after.pipeline_id, before.status.value)] -= 1
            deltas[(after.tenant_id, after.pipeline_id, after.status.value)] += 1
            if after.status.is_terminal and (ms := run_duration_ms(after)) is not None:
                durations.append((after.tenant_id, after.pipeline_id, ms, after.execution_id))
        return [
            (
                "INSERT INTO pipeline_status_counts VALUES (?, ?, ?, ?) "
                "ON CONFLICT DO UPDATE SET executions = executions + excluded.executions",
                [(*key, delta) for key, delta in deltas.items() if delta],
            ),
            ("INSERT OR IGNORE INTO pipeline_run_durations VALUES (?, ?, ?, ?)", durations),
        ]

    async def stats(self, db: aiosqlite.Connection, tenant_id: str, pipeline_id: str) -> PipelineStats:
        key = (tenant_id, pipeline_id)
        rows = await fetch_all(
            db, "SELECT status, executions FROM pipeline_status_counts WHERE tenant_id = ? AND pipeline_id = ?", key
        )
        by_status = {status.value: 0 for status in Status} | {status: count for status, count in rows}
        runs = await fetch_one(
            db, "SELECT count(*) FROM pipeline_run_durations WHERE tenant_id = ? AND pipeline_id = ?", key
        )
        count = int(runs[0]) if runs else 0
        p50, p95 = await _percentile(db, key, count, 0.50), await _percentile(db, key, count, 0.95)
        return PipelineStats(by_status, count, p50, p95)


def run_duration_ms(state: ExecutionState) -> int | None:
    """From start to finish; None for an execution that ended without running (cancelled while pending)."""
    if state.started_at is None or state.completed_at is None:
        return None
    return max(0, round((state.completed_at - state.started_at).total_seconds() * 1000))


async def _percentile(db: aiosqlite.Connection, key: tuple[str, str], count: int, fraction: float) -> int | None:
    """Nearest rank, read off the primary key's order: no sort per request."""
    if count == 0:
        return None
    rank = max(1, math.ceil(fraction * count))
    row = await fetch_one(
        db,
        "SELECT duration_ms FROM pipeline_run_durations WHERE tenant_id = ? AND pipeline_id = ? "
        "ORDER BY duration_ms LIMIT 1 OFFSET ?",
        (*key, rank - 1),
    )
    return int(row[0]) if row else None
