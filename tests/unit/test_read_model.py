"""The SQLite read model, on real files."""

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from contracts.codec import encode
from contracts.events import Outcome
from projections.batch import LoggedEvent, fold_batch
from projections.history import states_after
from projections.state import Status
from projections.store import SORTABLE_FORMAT, ReadModel, sortable_time
from projections.usage_counts import UsageCounts, usage_minute, usage_month
from tests.events import TENANT, cancel_requested, completed, created, progressed, started

TOPIC = "t"


def logged(events: list, start: int = 0, partition: int = 0) -> list[LoggedEvent]:
    return [LoggedEvent(e, TOPIC, partition, start + i, encode(e).value) for i, e in enumerate(events)]


def test_fold_skips_duplicates_and_reports_each_transition() -> None:
    records = logged([created(), started(), started(), progressed(3, 40), cancel_requested()])
    folded = fold_batch({}, records)
    assert [s.sequence for s in folded.transitions] == [1, 2, 3, 3]
    assert [r.event.sequence for r in folded.history] == [1, 2, 3]
    assert folded.states["exec-1"].progress_pct == 40
    assert folded.rejected == []


def test_fold_rejects_an_impossible_event_and_carries_on() -> None:
    folded = fold_batch({}, logged([progressed(3, 10, execution_id="ghost"), created()]))
    assert len(folded.rejected) == 1
    assert folded.states["exec-1"].status is Status.PENDING


async def test_rows_and_positions_commit_together_and_survive_reopen(tmp_path: Path) -> None:
    path = tmp_path / "rm.sqlite3"
    store = await ReadModel.open(path)
    folded = fold_batch({}, logged([created(), started()]))
    await store.commit(folded, TOPIC, {0: 2})
    await store.close()

    reopened = await ReadModel.open(path)
    assert await reopened.positions(TOPIC) == {0: 2}
    known = await reopened.load_states({"exec-1"})
    folded = fold_batch(known, logged([started(), progressed(3, 50), completed(4)], start=2))
    await reopened.commit(folded, TOPIC, {0: 5})
    state = await reopened.get(TENANT, "exec-1")
    assert state is not None and state.status is Status.SUCCEEDED
    assert [e.sequence for e in await reopened.history("exec-1")] == [1, 2, 3, 4]
    assert await reopened.positions(TOPIC) == {0: 5}
    await reopened.close()


async def test_list_is_newest_first_filtered_and_per_tenant(tmp_path: Path) -> None:
    store = await ReadModel.open(tmp_path / "rm.sqlite3")
    events = [created(f"e{i}", seconds=i) for i in range(5)]
    events += [started(2, "e1"), completed(3, Outcome.FAILED, "e1"), started(2, "e3")]
    await store.commit(fold_batch({}, logged(events)), TOPIC, {0: len(events)})

    page = await store.search(TENANT, pipeline_id=None, status=None, page=1, page_size=2)
    assert page.total == 5
    assert [s.execution_id for s in page.items] == ["e4", "e3"]
    page3 = await store.search(TENANT, pipeline_id=None, status=None, page=3, page_size=2)
    assert [s.execution_id for s in page3.items] == ["e0"]
    failed = await store.search(TENANT, pipeline_id="pl_1", status=Status.FAILED, page=1, page_size=10)
    assert [s.execution_id for s in failed.items] == ["e1"]
    assert (await store.search("tnt_other", pipeline_id=None, status=None, page=1, page_size=10)).total == 0
    assert await store.get("tnt_other", "e1") is None
    await store.close()


def test_states_after_gives_what_a_resuming_client_missed() -> None:
    history = [created(), started(), progressed(3, 20), progressed(4, 60), completed(5)]
    missed = states_after(history, 3)
    assert [(s.sequence, s.progress_pct) for s in missed] == [(4, 60), (5, 100)]
    assert states_after(history, 5) == []


async def test_a_read_model_of_an_older_schema_is_discarded_for_a_rebuild(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as old:
        old.execute("CREATE TABLE executions (execution_id TEXT PRIMARY KEY)")
        old.execute("CREATE TABLE positions (topic TEXT, partition INTEGER, next_offset INTEGER)")
        old.execute("INSERT INTO positions VALUES ('t', 0, 99)")
    store = await ReadModel.open(path)
    assert await store.positions(TOPIC) == {}, "rebuilt from offset 0"
    await store.commit(fold_batch({}, logged([created()])), TOPIC, {0: 1})
    assert (await store.get(TENANT, "exec-1")) is not None
    await store.close()


async def test_reads_overlapping_each_other_still_see_every_commit(tmp_path: Path) -> None:
    """Queries keep coming on the one reader connection while the writer commits: each
    query must start from the latest commit, not from a snapshot an overlapping one holds."""
    store = await ReadModel.open(tmp_path / "rm.sqlite3", cached_states=0)
    stop = asyncio.Event()

    async def busy_reader() -> None:
        while not stop.is_set():
            await store.search(TENANT, pipeline_id=None, status=None, page=1, page_size=100)

    readers = [asyncio.create_task(busy_reader()) for _ in range(8)]
    try:
        for n in range(1, 41):
            await store.commit(fold_batch({}, logged([created(f"e{n}", seconds=n)], start=n)), TOPIC, {0: n + 1})
            assert await store.get(TENANT, f"e{n}") is not None, f"commit {n} not visible to the next read"
            page = await store.search(TENANT, pipeline_id=None, status=None, page=1, page_size=1)
            assert page.total == n
    finally:
        stop.set()
        await asyncio.gather(*readers)
        await store.close()


async def test_a_recent_state_is_served_to_its_tenant_only(tmp_path: Path) -> None:
    store = await ReadModel.open(tmp_path / "rm.sqlite3")
    await store.commit(fold_batch({}, logged([created(), started()])), TOPIC, {0: 2})
    state = await store.get(TENANT, "exec-1")
    assert state is not None and state.status is Status.RUNNING
    assert await store.get("another-tenant", "exec-1") is None
    await store.close()


async def test_usage_counted_in_memory_agrees_with_the_tables_before_and_after_reopen(tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(second=30)
    recent = [created(f"r{i}").model_copy(update={"time": now - timedelta(seconds=i * 20)}) for i in range(5)]
    old = [created(f"o{i}", seconds=i) for i in range(3)]  # January 2026: before what memory keeps
    path = tmp_path / "rm.sqlite3"
    store = await ReadModel.open(path)
    await store.commit(fold_batch({}, logged(recent + old)), TOPIC, {0: 8})
    actor = recent[0].data.created_by
    in_memory = await store.usage(TENANT, actor, now)
    from_tables = await UsageCounts.load(store.writer, now - timedelta(days=400))  # loads every row
    assert in_memory == from_tables.usage(TENANT, actor, now)
    assert (in_memory.actor_this_minute, in_memory.actor_previous_minute) == (2, 3)
    assert (await store.usage(TENANT, actor, old[0].time)).actor_this_minute == 3, "older moments: the tables"
    await store.close()

    reopened = await ReadModel.open(path)
    assert await reopened.usage(TENANT, actor, now) == in_memory, "loaded at open"
    await reopened.close()


def test_stored_time_texts_are_the_documented_formats() -> None:
    plus_two = timezone(timedelta(hours=2))
    for moment in (
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(2026, 12, 2, 6, 36, 1, 5, tzinfo=plus_two),
        datetime(9998, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ):
        utc = moment.astimezone(UTC)
        assert sortable_time(moment) == utc.strftime(SORTABLE_FORMAT)
        assert (usage_minute(moment), usage_month(moment)) == (utc.strftime("%Y-%m-%dT%H:%M"), utc.strftime("%Y-%m"))
