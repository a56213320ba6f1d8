"""Idle SSE subscribers one gateway process holds, and the memory each costs: N change-feed
streams opened and held, the gateway's resident memory before and with them.

Each stream resumes at the feed's current end (`Last-Event-ID`): one opened from the start would
first be sent the tenant's whole history (after the bench's load, thousands of events filling
its socket buffers), and so would measure a backlog, not an idle subscriber."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import aiohttp

WAVE = 200
FEED_PAGE = 500


@dataclass
class IdleStreams:
    held: int
    rss_before: int
    rss_with: int

    @property
    def per_stream_kib(self) -> float:
        return (self.rss_with - self.rss_before) / self.held / 1024 if self.held else 0.0


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def established(port: int) -> int:
    """TCP connections to `port` in state ESTABLISHED, as the kernel counts them."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            count += fields[1].endswith(f":{port:04X}") and fields[3] == "01"
    return count


async def feed_end(http: aiohttp.ClientSession, base: str, key: str) -> int:
    """The cursor of the tenant's latest change-feed event (0 for none), paging from the start."""
    cursor = 0
    while True:
        params = {"after": str(cursor), "limit": str(FEED_PAGE)}
        async with http.get(f"{base}/events", params=params, headers={"Authorization": f"Bearer {key}"}) as response:
            page = await response.json()
        if not page["data"]:
            return cursor
        cursor = int(page["next"])


async def open_streams(base: str, key: str, count: int) -> tuple[aiohttp.ClientSession, list[aiohttp.ClientResponse]]:
    """`count` change-feed streams held open (they stay open by design), each past its first bytes."""
    http = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(total=None, sock_connect=30)
    )
    headers = {"Authorization": f"Bearer {key}", "Last-Event-ID": str(await feed_end(http, base, key))}

    async def one() -> aiohttp.ClientResponse:
        response = await http.get(f"{base}/events/stream", headers=headers)
        if response.status != 200:
            raise RuntimeError(f"stream refused: {response.status}")
        await response.content.readline()  # the retry: line, so the stream is live
        return response

    streams: list[aiohttp.ClientResponse] = []
    for start in range(0, count, WAVE):  # in waves, as clients arrive, not one SYN storm
        streams += await asyncio.gather(*(one() for _ in range(min(WAVE, count - start))))
    return http, streams


async def measure(base: str, key: str, pid: int, count: int) -> IdleStreams:
    before = rss_bytes(pid)
    http, streams = await open_streams(base, key, count)
    try:
        await asyncio.sleep(1)
        return IdleStreams(len(streams), before, rss_bytes(pid))
    finally:
        for stream in streams:
            stream.close()
        await http.close()
