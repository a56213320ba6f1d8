"""Restate's durable no-op call rate and latency, the baseline of issue 12, measured in the same run.

`measure()` installs Restate 1.7's server (npm) and Python SDK (PyPI) into a cache folder outside
the repo when missing (`bench.restate.install`), starts the server and a one-handler service on
free local ports (`bench.restate.stack`), and loads its ingress with closed-loop aiohttp
clients (`bench.restate.load`): calls/s at 200 clients, p50/p99 at 50. It returns None, with the
reason printed, when Restate cannot be installed or started here. `python -m bench.restate` runs
it alone.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.restate.install import SERVER_VERSION, RestateUnavailable, ensure_installed
from bench.restate.load import CallRun, closed_loop
from bench.restate.stack import running

__all__ = ["RestateFigures", "measure"]

STEPS = {"run": "one ctx.run step", "bare": "no step"}


@dataclass(frozen=True)
class RestateFigures:
    server_version: str
    handler: str
    """`run` (one durable `ctx.run` step, the baseline) or `bare` (no step)."""
    throughput: CallRun
    """Closed loop at the e2e bench's concurrency: its `rate` is the baseline's calls/s."""
    latency: CallRun
    """Closed loop at 50 clients, as the awaited run of 50 clients: its p50 and p99."""
    cpu_ms_per_call: tuple[float, float]
    """restate-server's and the Python service's CPU time per call in the throughput run (ms): on a
    shared machine it moves less with other load than calls/s does, though it still rises."""

    @property
    def calls_per_s(self) -> float:
        return self.throughput.rate

    def summary(self) -> str:
        t, lat = self.throughput, self.latency
        server, service = self.cpu_ms_per_call
        return (
            f"restate {self.server_version}, durable no-op call ({STEPS[self.handler]}), closed loop: "
            f"{t.rate:,.0f} calls/s at {t.clients} clients ({len(t.seconds)} calls{_failures(t)}, "
            f"CPU/call: server {server:.2f} ms + service {service:.2f} ms); at {lat.clients} clients "
            f"{lat.rate:,.0f} calls/s, p50 {lat.latency_ms(0.5):.0f} ms, p99 {lat.latency_ms(0.99):.0f} ms"
            f"{_failures(lat)}"
        )


def _failures(run: CallRun) -> str:
    return f", {run.failed} failed: {dict(run.failures)}" if run.failed else ""


def measure(
    calls: int = 3000,
    clients: int = 200,
    latency_calls: int = 2000,
    latency_clients: int = 50,
    warm_up: int = 500,
    handler: str = "run",
) -> RestateFigures | None:
    """Install if needed, start, load, stop. None (reason printed) if Restate is not to be had here."""
    try:
        installed = ensure_installed()
        with tempfile.TemporaryDirectory(prefix="bench-restate-") as tmp, running(installed, Path(tmp)) as stack:
            before = stack.cpu_seconds()
            throughput = asyncio.run(closed_loop(stack.ingress, clients, calls, warm_up, handler))
            done = len(throughput.seconds) + warm_up  # the warm-up's CPU is in the difference too
            cpu_ms = _per_call_ms(before, stack.cpu_seconds(), done)
            latency = asyncio.run(closed_loop(stack.ingress, latency_clients, latency_calls, warm_up, handler))
    except (RestateUnavailable, aiohttp.ClientError) as error:
        # A baseline that fails must not throw away the rest of `make bench`: say why and go on.
        print(f"restate baseline skipped: {type(error).__name__}: {error}")
        return None
    if not throughput.seconds or not latency.seconds:
        # No rate to divide by: a ratio to zero would say nothing.
        print(f"restate baseline skipped: no call succeeded ({dict(throughput.failures + latency.failures)})")
        return None
    return RestateFigures(SERVER_VERSION, handler, throughput, latency, cpu_ms)


def _per_call_ms(before: tuple[float, float], after: tuple[float, float], calls: int) -> tuple[float, float]:
    server, service = ((b - a) * 1000 / calls for a, b in zip(before, after, strict=True))
    return server, service
