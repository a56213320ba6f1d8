"""Closed-loop aiohttp clients against Restate's ingress, like `bench.e2e` loads the gateway."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field

import aiohttp

HANDLERS = ("run", "bare")
"""`Noop.run` (one `ctx.run` step, the baseline) and `Noop.bare` (no step); see noop_service.py."""
CALL_PATH = "/Noop/run"
CALL_BODY = b'{"input": {}}'
"""The body `bench.e2e` sends to `POST /pipelines/pl_no_op/trigger`."""
JSON = {"content-type": "application/json"}


@dataclass
class CallRun:
    clients: int
    elapsed_s: float = 0.0
    seconds: list[float] = field(default_factory=list)
    """Each call's request sent → 200 read."""
    failures: Counter[int] = field(default_factory=Counter)
    """Answers other than 200, by status."""

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    @property
    def rate(self) -> float:
        return len(self.seconds) / self.elapsed_s if self.elapsed_s else 0.0

    def latency_ms(self, quantile: float) -> float:
        # Same estimator as bench.awaited.LoadReport, so the two p99s compare.
        ordered = sorted(self.seconds)
        if len(ordered) < 2:
            return ordered[0] * 1000 if ordered else float("nan")
        return statistics.quantiles(ordered, n=1000, method="inclusive")[int(quantile * 1000) - 1] * 1000


async def closed_loop(ingress: str, clients: int, calls: int, warm_up: int, handler: str = "run") -> CallRun:
    """`clients` concurrent clients share `calls`, each sending its next call once the last answered;
    `warm_up` calls first, untimed (connections opened, the service's first invocations)."""
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(ingress, connector=connector) as http:
        path = f"/Noop/{handler}"
        await _share(http, path, CallRun(clients), clients, warm_up)
        run = CallRun(clients)
        began = time.perf_counter()
        await _share(http, path, run, clients, calls)
        run.elapsed_s = time.perf_counter() - began
    return run


async def _share(http: aiohttp.ClientSession, path: str, run: CallRun, clients: int, calls: int) -> None:
    remaining = iter(range(calls))

    async def client() -> None:
        for _ in remaining:
            await _call(http, path, run)

    await asyncio.gather(*(client() for _ in range(clients)))


async def _call(http: aiohttp.ClientSession, path: str, run: CallRun) -> None:
    began = time.perf_counter()
    async with http.post(path, data=CALL_BODY, headers=JSON) as response:
        await response.read()
        if response.status == 200:
            run.seconds.append(time.perf_counter() - began)
        else:
            run.failures[response.status] += 1
