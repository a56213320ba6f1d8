"""Audit and replay: an execution's events over HTTP, its state at any past point, and the CLI's
timeline, export and replay that rebuilds the read model from offset 0 and proves it equal."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
from pathlib import Path

from aiokafka import AIOKafkaProducer

from projections.log_reader import whole_topic
from services.kafka_io import ensure_topics, partitions_of
from services.kafka_settings import KafkaSettings
from tests.integration.stack import OTHER_KEY, Stack

QUERY = {"query": "Audit me. Every step."}
LIFECYCLE = ["execution.created.v1", "execution.started.v1", *["execution.progressed.v2"] * 4,
             "execution.completed.v1"]  # fmt: skip


async def get_json(stack: Stack, path: str, key: str | None = None) -> tuple[int, dict]:
    headers = stack.headers(key) if key else stack.headers()
    async with stack.http.get(stack.base_url + path, headers=headers) as resp:
        return resp.status, await resp.json()


async def test_events_in_order_paged_and_per_tenant(stack: Stack) -> None:
    created = await stack.trigger("pl_document_summarizer", QUERY)
    execution_id = created["executionId"]
    await stack.wait_terminal(execution_id)
    status, page = await get_json(stack, f"/pipeline-executions/{execution_id}/events")
    assert status == 200
    events = page["data"]
    assert [e["type"] for e in events] == LIFECYCLE and page["nextAfter"] is None
    assert [e["sequence"] for e in events] == list(range(1, 8))
    assert events[0]["actor"] == created["createdBy"] and events[-1]["actor"].startswith("handler/")
    assert {e["correlationId"] for e in events} == {events[0]["correlationId"]}, "one correlation id throughout"
    assert events[-1]["data"]["outcome"] == "succeeded"

    status, paged = await get_json(stack, f"/pipeline-executions/{execution_id}/events?after=2&limit=2")
    assert [e["sequence"] for e in paged["data"]] == [3, 4] and paged["nextAfter"] == 4
    assert (await get_json(stack, f"/pipeline-executions/{execution_id}/events", OTHER_KEY))[0] == 404


async def test_state_as_of_a_sequence_or_a_time(stack: Stack) -> None:
    created = await stack.trigger("pl_document_summarizer", QUERY)
    execution_id = created["executionId"]
    final = await stack.wait_terminal(execution_id)
    base = f"/pipeline-executions/{execution_id}"
    status, second = await get_json(stack, f"{base}?asOf=2")
    assert (status, second["status"], second["sequence"]) == (200, "running", 2)
    status, at_end = await get_json(stack, f"{base}?asOf={final['completedAt']}")
    assert (status, at_end) == (200, final)
    status, at_start = await get_json(stack, f"{base}?asOf={created['createdAt']}")
    assert (status, at_start["status"]) == (200, "pending")
    assert (await get_json(stack, f"{base}?asOf=2000-01-01T00:00:00Z"))[0] == 404
    status, error = await get_json(stack, f"{base}?asOf=yesterday")
    assert (status, error["error"]) == (400, "BadRequest")


async def cli(stack: Stack, *args: str, topic: str | None = None) -> tuple[int, str, str]:
    kafka = stack.gateway_settings.kafka
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
           "EVENTS_TOPIC": topic or kafka.events_topic}  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_cli_prints_a_timeline_exports_a_tenant_and_replays_to_an_equal_read_model(
    stack: Stack, tmp_path: Path
) -> None:
    mine = [await stack.trigger("pl_document_summarizer", QUERY) for _ in range(3)]
    theirs = await stack.trigger("pl_no_op", key=OTHER_KEY)
    for created in mine:
        await stack.wait_terminal(created["executionId"])
    async with asyncio.timeout(30):
        while (await stack.get(theirs["executionId"], key=OTHER_KEY))[1]["status"] != "succeeded":
            await asyncio.sleep(0.05)

    code, out, err = await cli(stack, "history", mine[0]["executionId"])
    assert code == 0, err
    assert [line.split()[2] for line in out.splitlines()] == LIFECYCLE

    exported = tmp_path / "tnt_a.jsonl"
    code, _, err = await cli(stack, "export", "--tenant", "tnt_a", "--output", str(exported))
    lines = [json.loads(line) for line in exported.read_text().splitlines()]
    assert code == 0 and len(lines) == 3 * len(LIFECYCLE), err
    assert {line["tenantid"] for line in lines} == {"tnt_a"}

    live = stack.gateway_settings.db_path
    code, out, err = await cli(stack, "replay", str(tmp_path / "replayed"), "--compare", str(live))
    assert (code, out.strip()) == (0, "equal: every table of the rebuilt read model matches the live one"), err
    assert "100.0%" in err and "records" in err, "a progress bar on standard error"
    # Standard error is a pipe here: a line every few seconds, not a frame every quarter second.
    assert "\r" not in err and err.count(" records ") <= 5, err[:2000]
    # One process per core by default (the stack's topic has 4 partitions); one alone builds the same.
    code, out, err = await cli(stack, "replay", str(tmp_path / "one"), "--workers", "1", "--compare", str(live))
    assert (code, out.strip()) == (0, "equal: every table of the rebuilt read model matches the live one"), err
    code, _, err = await cli(stack, "replay", str(tmp_path / "none"), "--workers", "0")
    assert code == 2 and "'0' is not a whole number of at least 1" in err
    code, _, err = await cli(stack, "replay", str(tmp_path / "nowhere"), topic="no-such-topic")
    assert code == 2 and "topic 'no-such-topic' is not available" in err and "Traceback" not in err, err

    altered = tmp_path / "altered.sqlite3"
    with sqlite3.connect(live) as source, sqlite3.connect(altered) as copy:
        source.backup(copy)  # the live file is in WAL mode: a plain copy could miss its latest pages
    with sqlite3.connect(altered) as db:
        db.execute("UPDATE executions SET status = 'failed' WHERE execution_id = ?", (mine[1]["executionId"],))
    code, out, _ = await cli(stack, "replay", str(tmp_path / "again"), "--compare", str(altered))
    assert code == 1 and out.startswith("executions differs:") and mine[1]["executionId"] in out


async def copy_log_tampered(stack: Stack, victims: dict[str, str]) -> str:
    """The stack's log copied to a new topic, with each victim's events tampered with as named."""
    kafka = stack.gateway_settings.kafka
    copy = KafkaSettings(bootstrap_servers=kafka.bootstrap_servers, events_topic=f"{kafka.events_topic}-copy",
                         partitions=kafka.partitions)  # fmt: skip
    await ensure_topics(copy)
    records = [r async for r in whole_topic(kafka.bootstrap_servers, kafka.events_topic,
                                            await partitions_of(kafka, kafka.events_topic))]  # fmt: skip
    by_subject: dict[str, list] = {}
    for record in records:
        by_subject.setdefault(record.key.decode(), []).append(record)
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all")
    await producer.start()
    try:
        for subject, mine in by_subject.items():
            values = [r.value for r in mine]
            how = victims.get(subject)
            if how == "altered":
                event = json.loads(values[2])
                event["data"]["percent"] = 99
                values[2] = json.dumps(event).encode()
            elif how == "removed":
                del values[3]
            elif how == "reordered":
                values[2], values[3] = values[3], values[2]
            elif how == "inserted":
                forged = json.loads(values[3])
                forged["id"], forged["data"]["message"] = "forged", "Done early"
                values.insert(4, json.dumps(forged).encode())
            for value in values:
                await producer.send_and_wait(copy.events_topic, value, key=subject.encode())
    finally:
        await producer.stop()
    return copy.events_topic


async def test_verify_names_every_execution_whose_events_were_tampered_with(stack: Stack) -> None:
    runs = [await stack.trigger("pl_document_summarizer", QUERY) for _ in range(5)]
    for created in runs:
        await stack.wait_terminal(created["executionId"])
    code, out, _ = await cli(stack, "verify")
    assert code == 0 and "5 executions checked: 0 tampered with" in out, out

    kinds = ["altered", "removed", "reordered", "inserted"]
    victims = {created["executionId"]: kind for created, kind in zip(runs, kinds, strict=False)}
    topic = await copy_log_tampered(stack, victims)
    code, out, _ = await cli(stack, "verify", topic=topic)
    assert code == 1, out
    named = {line.split()[1].rstrip(":"): line for line in out.splitlines() if line.startswith("TAMPERED")}
    assert set(named) == set(victims), out
    for execution_id, kind in victims.items():
        assert f"{kind} at #" in named[execution_id], named[execution_id]
    assert runs[4]["executionId"] not in named, "the untouched one is intact"
