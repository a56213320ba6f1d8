"""A tenant's change feed over HTTP: only its own lifecycle events, in order per execution, paged by
cursor, with a long poll that wakes on the next event, and an SSE stream resumable by Last-Event-ID."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict

from tests.integration.stack import OTHER_KEY, Stack

QUERY = {"query": "Feed me. In order."}


async def feed(stack: Stack, query: str = "", key: str | None = None) -> dict:
    headers = stack.headers(key) if key else stack.headers()
    async with stack.http.get(f"{stack.base_url}/events{query}", headers=headers) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.json()


async def test_the_feed_holds_the_tenants_events_in_order_and_pages_by_cursor(stack: Stack) -> None:
    mine = [await stack.trigger("pl_document_summarizer", QUERY) for _ in range(3)]
    other = await stack.trigger("pl_no_op", key=OTHER_KEY)
    for created in mine:
        await stack.wait_terminal(created["executionId"])
    page = await feed(stack, "?limit=500")
    subjects = [item["event"]["subject"] for item in page["data"]]
    assert other["executionId"] not in subjects, "another tenant's events never show"
    by_execution: dict[str, list[int]] = defaultdict(list)
    for item in page["data"]:
        by_execution[item["event"]["subject"]].append(item["event"]["sequence"])
    assert {e["executionId"]: list(range(1, 8)) for e in mine} == dict(by_execution), "all, in order per execution"
    cursors = [item["cursor"] for item in page["data"]]
    assert cursors == sorted(cursors) and page["next"] == cursors[-1]

    first, rest = await feed(stack, "?limit=5"), await feed(stack, f"?after={cursors[4]}&limit=500")
    assert [i["cursor"] for i in first["data"] + rest["data"]] == cursors, "pages join without gap or repeat"
    assert (await feed(stack, f"?after={page['next']}"))["data"] == [], "nothing new: an empty page at once"


async def test_a_long_poll_wakes_on_the_next_event(stack: Stack) -> None:
    done = await stack.trigger("pl_no_op")
    await stack.wait_terminal(done["executionId"])
    cursor = (await feed(stack, "?limit=500"))["next"]
    loop = asyncio.get_running_loop()
    began = loop.time()
    polling = asyncio.create_task(feed(stack, f"?after={cursor}&wait=20"))
    await asyncio.sleep(0.5)
    created = await stack.trigger("pl_no_op")
    page = await asyncio.wait_for(polling, 15)
    assert page["data"] and page["data"][0]["event"]["subject"] == created["executionId"]
    assert loop.time() - began < 10, "answered when the event came, not at the end of the wait"


async def test_the_stream_resumes_after_the_last_event_id(stack: Stack) -> None:
    first = await stack.trigger("pl_no_op")
    await stack.wait_terminal(first["executionId"])
    events = await read_some(stack, {}, count=3)
    assert [e[1] for e in events] == [1, 2, 3]
    second = await stack.trigger("pl_no_op")
    await stack.wait_terminal(second["executionId"])
    resumed = await read_some(stack, {"Last-Event-ID": str(events[-1][0])}, count=3)
    assert [e[2] for e in resumed] == [second["executionId"]] * 3, "only what came after, none again"


async def read_some(stack: Stack, headers: dict[str, str], count: int) -> list[tuple[int, int, str]]:
    """(cursor, sequence, subject) of the first `count` events the stream sends."""
    found: list[tuple[int, int, str]] = []
    fields: dict[str, str] = {}
    url = f"{stack.base_url}/events/stream"
    async with asyncio.timeout(20), stack.http.get(url, headers={**stack.headers(), **headers}) as resp:
        assert resp.status == 200
        async for raw in resp.content:
            line = raw.decode().rstrip("\n")
            if line:
                name, _, value = line.partition(": ")
                fields[name] = value
                continue
            if fields.get("event") == "execution-event":
                event = json.loads(fields["data"])
                found.append((int(fields["id"]), event["sequence"], event["subject"]))
                if len(found) == count:
                    return found
            fields = {}
    return found
