"""A thousand SSE connections opened on the gateway and dropped by their clients: the gateway lets
every one go, and its memory comes back to within 10 % of where it was (after a first wave of the
same size, since Python's allocator keeps what it once needed: growth from wave to wave is a leak)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from infra.kafka.launcher import LocalBroker
from tests.faults.chaos import KEY, System

pytestmark = pytest.mark.integration

CONNECTIONS = 1000


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def established(port: int) -> int:
    """TCP connections to the gateway's port, as the kernel counts them."""
    hex_port = f"{port:04X}"
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            count += local.endswith(f":{hex_port}") and state == "01"
    return count


async def until_released(port: int) -> None:
    """The gateway notices a dropped stream at its next ping (every second here) and lets it go."""
    async with asyncio.timeout(30):
        while established(port) > 0:
            await asyncio.sleep(0.5)
    await asyncio.sleep(2)  # and the handlers unwind


async def open_streams(base: str, count: int) -> tuple[aiohttp.ClientSession, list[aiohttp.ClientResponse]]:
    """`count` change-feed streams held open (they stay open by design), each past its first bytes."""
    http = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(total=None, sock_connect=30)
    )
    headers = {"Authorization": f"Bearer {KEY}"}

    async def one() -> aiohttp.ClientResponse:
        response = await http.get(f"{base}/events/stream", headers=headers)
        assert response.status == 200
        await response.content.readline()  # the retry: line: the stream is live
        return response

    streams: list[aiohttp.ClientResponse] = []
    for start in range(0, count, 100):  # in waves, as clients arrive, not one SYN storm
        streams += await asyncio.gather(*(one() for _ in range(min(100, count - start))))
    return http, streams


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
        http, streams = await open_streams(system.base_url, CONNECTIONS)
        for stream in streams:
            stream.close()
        await http.close()
        await until_released(system.port)
        before = rss_bytes(pid)

        http, streams = await open_streams(system.base_url, CONNECTIONS)
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
