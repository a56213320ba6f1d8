"""A read model plugged in through the projection interface: per-pipeline statistics.

Served at `GET /pipelines/{id}/stats`; a read model file written before the projection
existed gets it backfilled from the log on its next start, then kept current by the runner.
"""

from __future__ import annotations

import asyncio
import math
from datetime import datetime
from pathlib import Path
from typing import Any

from projections.kafka_client import make_reader
from projections.notifications import ChangeHub
from projections.pipeline_stats import PipelineStatsProjection
from projections.runner import ProjectionRunner
from projections.store import ReadModel
from services.catalog import THREAT_INTEL_PIPELINE_ID
from services.kafka_io import partitions_of
from services.kafka_settings import KafkaSettings
from tests.integration.stack import OTHER_KEY, Stack


async def stats(stack: Stack, pipeline_id: str, key: str | None = None) -> tuple[int, dict[str, Any]]:
    headers = stack.headers(key) if key else stack.headers()
    async with stack.http.get(f"{stack.base_url}/pipelines/{pipeline_id}/stats", headers=headers) as resp:
        return resp.status, await resp.json()


def run_ms(execution: dict[str, Any]) -> int:
    started, completed = (datetime.fromisoformat(execution[k]) for k in ("startedAt", "completedAt"))
    return max(0, round((completed - started).total_seconds() * 1000))


def nearest_rank(values: list[int], fraction: float) -> int:
    return sorted(values)[max(1, math.ceil(fraction * len(values))) - 1]


async def run_some(stack: Stack, no_ops: int, useless_reports: int) -> list[dict[str, Any]]:
    created = [await stack.trigger("pl_no_op") for _ in range(no_ops)]
    created += [
        await stack.trigger(THREAT_INTEL_PIPELINE_ID, {"text": "nothing to detect here"})
        for _ in range(useless_reports)
    ]
    return list(await asyncio.gather(*(stack.wait_terminal(c["executionId"]) for c in created)))


async def follow_into(kafka: KafkaSettings, path: Path, projections: Any = None) -> tuple[ProjectionRunner, ReadModel]:
    store = await ReadModel.open(path, projections=projections)
    runner = ProjectionRunner(
        lambda: make_reader(kafka.bootstrap_servers, "stats-test"), store, ChangeHub(), kafka.events_topic
    )
    await runner.start(await partitions_of(kafka, kafka.events_topic))
    await runner.wait_current(30)
    return runner, store


async def test_stats_count_by_status_and_give_run_duration_percentiles(stack: Stack) -> None:
    finished = await run_some(stack, no_ops=9, useless_reports=2)
    no_ops = [e for e in finished if e["pipelineId"] == "pl_no_op"]

    status, body = await stats(stack, "pl_no_op")
    assert status == 200, body
    assert body["executions"] == 9 and body["byStatus"]["succeeded"] == 9 and body["byStatus"]["failed"] == 0
    durations = [run_ms(e) for e in no_ops]
    assert body["durationMs"] == {
        "finishedRuns": 9, "p50": nearest_rank(durations, 0.5), "p95": nearest_rank(durations, 0.95)
    }  # fmt: skip

    status, threat = await stats(stack, THREAT_INTEL_PIPELINE_ID)
    assert (status, threat["byStatus"]["failed"], threat["executions"]) == (200, 2, 2), threat

    status, other = await stats(stack, "pl_no_op", OTHER_KEY)
    assert (status, other["executions"], other["durationMs"]["p50"]) == (200, 0, None), "only the caller's tenant"
    status, missing = await stats(stack, "pl_nonexistent")
    assert status == 404 and missing["error"] == "NotFound", missing


async def test_a_projection_added_later_is_backfilled_from_the_log_then_kept_current(
    stack: Stack, tmp_path: Path
) -> None:
    kafka = stack.gateway_settings.kafka
    first = await run_some(stack, no_ops=6, useless_reports=1)
    path = tmp_path / "older.sqlite3"
    runner, store = await follow_into(kafka, path, projections=())  # a file from before the projection
    tenant_id = await tenant_of(store, first[0]["executionId"])
    await runner.stop()
    await store.close()

    runner, store = await follow_into(kafka, path)  # now with it: backfilled on start
    projection = store.projection(PipelineStatsProjection)
    _, served = await stats(stack, "pl_no_op")
    backfilled = (await projection.stats(store.reader, tenant_id, "pl_no_op")).to_api("pl_no_op")
    assert backfilled == served and served["byStatus"]["succeeded"] == 6, (backfilled, served)

    await run_some(stack, no_ops=3, useless_reports=0)
    await runner.wait_current(30)
    current = (await projection.stats(store.reader, tenant_id, "pl_no_op")).to_api("pl_no_op")
    _, served = await stats(stack, "pl_no_op")
    assert current == served and served["executions"] == 9, "the runner feeds it after the backfill"
    await runner.stop()
    await store.close()


async def tenant_of(store: ReadModel, execution_id: str) -> str:
    rows = await store.reader.execute_fetchall(
        "SELECT tenant_id FROM executions WHERE execution_id = ?", (execution_id,)
    )
    return str(next(iter(rows))[0])


class ChangedStats(PipelineStatsProjection):
    """The same projection in a later version: its tables must be rebuilt, not trusted."""

    version = PipelineStatsProjection.version + 1


async def test_a_projection_whose_version_changed_is_dropped_and_rebuilt_from_the_log(
    stack: Stack, tmp_path: Path
) -> None:
    kafka = stack.gateway_settings.kafka
    first = await run_some(stack, no_ops=4, useless_reports=0)
    path = tmp_path / "versions.sqlite3"
    runner, store = await follow_into(kafka, path)
    tenant_id = await tenant_of(store, first[0]["executionId"])
    await store.writer.execute("UPDATE pipeline_status_counts SET executions = 999")  # a stale derivation
    await store.writer.commit()
    await runner.stop()
    await store.close()

    runner, store = await follow_into(kafka, path, projections=(ChangedStats(),))
    rebuilt = (await store.projection(ChangedStats).stats(store.reader, tenant_id, "pl_no_op")).to_api("pl_no_op")
    _, served = await stats(stack, "pl_no_op")
    assert rebuilt == served and served["byStatus"]["succeeded"] == 4, (rebuilt, served)
    await runner.stop()
    await store.close()
