"""A thousand SSE connections opened on the gateway and dropped by their clients: the gateway lets
every one go, and its memory comes back to within 10 % of where it was (after a first wave of the
same size, since Python's allocator keeps what it once needed: growth from wave to wave is a leak)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from bench.sse_idle import established, open_streams, rss_bytes
from infra.kafka.launcher import LocalBroker
from tests.faults.chaos import KEY, System

pytestmark = pytest.mark.integration

CONNECTIONS = 1000


async def until_released(port: int) -> None:
    """The gateway notices a dropped stream at its next ping (every second here) and lets it go."""
    async with asyncio.timeout(30):
        while established(port) > 0:
            await asyncio.sleep(0.5)
    await asyncio.sleep(2)  # and the handlers unwind


async def test_a_thousand_streams_opened_and_dropped_leave_no_memory_behind(tmp_path: Path) -> None:
    broker = LocalBroker(tmp_path / "kafka")
    await asyncio.to_thread(broker.start)
    system = System(tmp_path, broker, extra_env={"SSE_PING_INTERVAL_S": "1"})
    try:
        system.start("gateway")
        await system.wait_ready()
        pid = system.processes["gateway"].pid
        # A first wave of the same size: the allocator keeps what it once needed (Python seldom
        # gives memory back to the system), so the level to come back to is the one after it.
        http, streams = await open_streams(system.base_url, KEY, CONNECTIONS)
        for stream in streams:
            stream.close()
        await http.close()
        await until_released(system.port)
        before = rss_bytes(pid)

        http, streams = await open_streams(system.base_url, KEY, CONNECTIONS)
        during, open_now = rss_bytes(pid), established(system.port)
        for stream in streams:
            stream.close()  # the client drops the line without a word
        await http.close()
        await until_released(system.port)
        after = rss_bytes(pid)
        print(f"gateway RSS: {before / 2**20:.1f} MiB before, {during / 2**20:.1f} MiB with {open_now} connections "
              f"open, {after / 2**20:.1f} MiB after")  # fmt: skip
        assert open_now >= CONNECTIONS, "the streams were really open"
        assert after <= before * 1.10
        async with aiohttp.ClientSession() as check, check.get(f"{system.base_url}/readyz") as resp:
            assert resp.status == 200, "and it still serves"
    finally:
        system.stop()
        await asyncio.to_thread(broker.stop)
