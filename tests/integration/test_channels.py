"""A streaming execution's tokens on its channel, as Server-Sent Events."""

from __future__ import annotations

import asyncio

from tests.integration.stack import OTHER_KEY, Stack

QUERY = {"query": "Revenue grew fifteen percent. Customers doubled in the north region."}


async def test_tokens_stream_on_the_announced_channel_and_resume(stack: Stack) -> None:
    created = await stack.trigger("pl_streaming_summarizer", QUERY)
    async with asyncio.timeout(30):
        while not ((await stack.get(created["executionId"]))[1].get("handlerOutput") or {}).get("streamingChannelId"):
            await asyncio.sleep(0.05)
    channel = (await stack.get(created["executionId"]))[1]["handlerOutput"]["streamingChannelId"]

    events = await stack.read_sse(f"/channels/{channel}/stream")
    tokens = [e for e in events if e.event == "token"]
    assert events[-1].event == "stream-complete"
    assert [int(e.id) for e in tokens] == list(range(len(tokens))), "every token once, in order"
    final = await stack.wait_terminal(created["executionId"])
    assert "".join(e.data["token"] for e in tokens).strip() == final["output"]["summary"]

    resumed = await stack.read_sse(f"/channels/{channel}/stream", headers={"Last-Event-ID": "2"})
    assert [int(e.id) for e in resumed if e.event == "token"] == list(range(3, len(tokens)))

    async with stack.http.get(f"{stack.base_url}/channels/{channel}/stream", headers=stack.headers(OTHER_KEY)) as r:
        assert r.status == 404, "another tenant's channel does not exist for it"
    async with stack.http.get(f"{stack.base_url}/channels/ch_unknown/stream", headers=stack.headers()) as r:
        assert r.status == 404
