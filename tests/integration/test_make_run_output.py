"""What `make run` prints is for reading: no colour codes off a terminal, no ERROR for the expected
start-up, one line per request and one per execution state change, tied by the correlation id."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import aiohttp

from tests.integration.devstack import devstack_processes

KEY = "output-key"


async def test_make_run_prints_a_line_per_request_and_per_state_change(kafka_servers: str, tmp_path: Path) -> None:
    output = tmp_path / "make-run.log"
    async with devstack_processes(kafka_servers, tmp_path, KEY, output=output) as base:
        headers = {"Authorization": f"Bearer {KEY}", "X-Correlation-ID": "corr-readable-1"}
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{base}/pipelines/pl_no_op/trigger", json={}, headers=headers) as resp:
                assert resp.status == 201
                execution_id = (await resp.json())["executionId"]
            for _ in range(100):
                if f"execution={execution_id} status=succeeded" in output.read_text():
                    break
                await asyncio.sleep(0.1)
    text = output.read_text()
    assert "\x1b[" not in text, "no colour codes when not on a terminal"
    assert not re.search(r" (ERROR|CRITICAL) ", text), [line for line in text.splitlines() if " ERROR " in line]
    requests = [line for line in text.splitlines() if "method=POST path=/pipelines/pl_no_op/trigger" in line]
    assert len(requests) == 1 and "status=201" in requests[0] and "correlation=corr-readable-1" in requests[0]
    assert f"location=/pipeline-executions/{execution_id}" in requests[0]
    changes = [line for line in text.splitlines() if f"execution={execution_id} " in line]
    assert [re.search(r"status=(\w+)", line)[1] for line in changes] == ["running", "succeeded"]  # type: ignore[index]
    assert all("correlation=corr-readable-1" in line for line in changes)
