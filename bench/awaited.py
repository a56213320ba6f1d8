"""Clients that await their own executions: trigger, then open the execution's SSE stream at once.

This is how an API user watches an execution, and what a plain throughput run never does: the
stream is opened right after the 201, so a read model that lags its own commits shows up as a
404, and a stream that misses its terminal change shows up as one without `stream-complete`.

Two modes over the same client:
- open loop (`open_loop`): triggers at a fixed rate for a fixed time, whatever the answers;
- closed loop (`closed_loop`): C clients, each triggering its next execution once the last ended.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field

import aiohttp

PIPELINE = "pl_no_op"


@dataclass
class Outcome:
    """One client's trigger and stream."""

    trigger_status: int
    get_status: int | None = None
    """Of a GET sent right after the 201, when asked for."""
    stream_status: int | None = None
    completed: bool = False
    """`stream-complete` arrived within the bound."""
    seconds: float | None = None
    """Trigger sent → `stream-complete` read."""


@dataclass
class LoadReport:
    outcomes: list[Outcome] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def created(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.trigger_status == 201]

    @property
    def missing(self) -> int:
        """Created (201), yet its GET or its stream answered anything but 200 right after."""
        return sum(1 for o in self.created if o.stream_status != 200 or o.get_status not in (None, 200))

    @property
    def incomplete(self) -> int:
        """Created and streamed, yet no `stream-complete` within the bound."""
        return sum(1 for o in self.created if o.stream_status == 200 and not o.completed)

    @property
    def trigger_statuses(self) -> Counter[int]:
        return Counter(o.trigger_status for o in self.outcomes)

    def latency_ms(self, quantile: float) -> float:
        seconds = sorted(o.seconds for o in self.created if o.seconds is not None)
        if not seconds:
            return float("nan")
        if len(seconds) == 1:
            return seconds[0] * 1000
        return statistics.quantiles(seconds, n=1000, method="inclusive")[int(quantile * 1000) - 1] * 1000

    @property
    def rate(self) -> float:
        """Executions watched to their end per second."""
        done = sum(1 for o in self.created if o.completed)
        return done / self.elapsed_s if self.elapsed_s else 0.0

    def summary(self) -> str:
        return (
            f"{len(self.outcomes)} triggered, {len(self.created)} created, {self.missing} streams not found, "
            f"{self.incomplete} without stream-complete; {self.rate:.0f} watched to the end/s, "
            f"trigger→stream-complete p50 {self.latency_ms(0.5):.0f} ms, p99 {self.latency_ms(0.99):.0f} ms; "
            f"trigger answers {dict(self.trigger_statuses)}"
        )


async def watch_one(http: aiohttp.ClientSession, bound_s: float, get_first: bool = False) -> Outcome:
    began = time.perf_counter()
    async with http.post(f"/pipelines/{PIPELINE}/trigger", json={"input": {}}) as resp:
        if resp.status != 201:
            await resp.read()
            return Outcome(resp.status)
        execution_id = (await resp.json())["executionId"]
    outcome = Outcome(201)
    if get_first:
        async with http.get(f"/pipeline-executions/{execution_id}") as got:
            outcome.get_status = got.status
            await got.read()
    try:
        async with asyncio.timeout(bound_s):
            async with http.get(f"/pipeline-executions/{execution_id}/stream") as stream:
                outcome.stream_status = stream.status
                if stream.status != 200:
                    await stream.read()
                    return outcome
                async for line in stream.content:
                    if line.startswith(b"event: stream-complete"):
                        outcome.completed = True
                        outcome.seconds = time.perf_counter() - began
                        break
    except TimeoutError:
        pass
    return outcome


def session(base_url: str, key: str, connections: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        base_url,
        headers={"Authorization": f"Bearer {key}"},
        connector=aiohttp.TCPConnector(limit=connections),
        timeout=aiohttp.ClientTimeout(total=None),
    )


async def open_loop(
    base_url: str, key: str, rate: float, duration_s: float, bound_s: float = 10.0, get_first: bool = False
) -> LoadReport:
    """Trigger `rate` executions per second for `duration_s`, each watched over SSE at once
    (and, with `get_first`, read with a GET between the 201 and the stream)."""
    report = LoadReport()
    async with session(base_url, key, connections=0) as http:
        loop = asyncio.get_running_loop()
        began = loop.time()
        tasks = []
        for n in range(int(rate * duration_s)):
            # Open loop: the schedule does not wait for answers, so a slow server sees the full rate.
            await asyncio.sleep(max(0.0, began + n / rate - loop.time()))
            tasks.append(asyncio.create_task(watch_one(http, bound_s, get_first)))
        report.outcomes = list(await asyncio.gather(*tasks))
        report.elapsed_s = loop.time() - began
    return report


async def closed_loop(base_url: str, key: str, clients: int, executions: int, bound_s: float = 30.0) -> LoadReport:
    """`clients` concurrent clients share `executions`; each awaits its execution's end before the next."""
    report = LoadReport()
    remaining = iter(range(executions))
    async with session(base_url, key, connections=clients * 2) as http:

        async def client() -> None:
            for _ in remaining:
                report.outcomes.append(await watch_one(http, bound_s))

        began = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        report.elapsed_s = time.perf_counter() - began
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:8080")
    parser.add_argument("--key", required=True)
    parser.add_argument("--rate", type=float, help="open loop: triggers per second")
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=50, help="closed loop: concurrent clients")
    parser.add_argument("--executions", type=int, default=2000)
    args = parser.parse_args()
    if args.rate:
        report = asyncio.run(open_loop(args.base_url, args.key, args.rate, args.duration))
    else:
        report = asyncio.run(closed_loop(args.base_url, args.key, args.clients, args.executions))
    print(report.summary())


if __name__ == "__main__":
    main()
