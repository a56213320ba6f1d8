"""Under a steady trigger load, every client that reads its execution right after the 201 finds it,
and every stream it opens sends the terminal state and `stream-complete`: the README's promise,
held against the stack `make run` starts, at a rate this machine sustains."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp

from bench.awaited import open_loop
from tests.integration.devstack import devstack_processes

KEY = "load-key"
RATE_PER_S = 150.0
DURATION_S = 8.0


async def test_no_read_after_a_201_misses_and_every_stream_completes(kafka_servers: str, tmp_path: Path) -> None:
    async with devstack_processes(kafka_servers, tmp_path, KEY, RATE_LIMIT_PER_MINUTE="1000000") as base:
        report = await open_loop(base, KEY, RATE_PER_S, DURATION_S, bound_s=15.0, get_first=True)
        print(report.summary())
        assert report.trigger_statuses == {201: int(RATE_PER_S * DURATION_S)}
        assert report.missing == 0, "a GET or stream right after its 201 answered other than 200"
        assert report.incomplete == 0, "a stream did not send stream-complete within 15 s"

        # And /v1: the status right after the 202 (another route over the same lookup).
        headers = {"Authorization": f"Bearer {KEY}"}
        async with aiohttp.ClientSession(base, headers=headers) as http:
            body = json.dumps({"input": "Beacon to 45.77.12.9 (T1071.001)", "inputType": "text"})
            for _ in range(20):
                async with http.post("/v1/generate", data=body) as generated:
                    assert generated.status == 202
                    arn = (await generated.json())["data"]["executionArn"]
                async with http.get(f"/v1/status/{arn}") as status:
                    assert status.status == 200, await status.text()
