"""schemathesis against /openapi.json for ten minutes: no 5xx, every response as documented.

The same checks as the short run in `make test` (tests/integration/test_openapi.py), kept up for
SCHEMATHESIS_SECONDS (600 by default; set it lower to try the test) against a gateway and a
handler on the session's broker. schemathesis's `--max-time` repeats fuzzing and stateful
testing until the budget is spent; should a run end early anyway, the next starts with another
seed until the time is used. Any finding fails the test, with schemathesis's report of it
(each with a curl line to reproduce it). Marked slow: `make faults` runs it, `make test` does not.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from services.gateway.limits import Limits
from tests.integration.stack import API_KEY, running_stack
from tests.integration.test_openapi import SCHEMATHESIS_CHECKS

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(0)]

SLACK_S = 120
"""Beyond the budget: schema loading, a last request finishing, the report being written."""
UNLIMITED = Limits(per_key_per_minute=10**9, monthly_executions=10**9)
"""Ten minutes of triggers would otherwise be mostly 429s; the rate limit has its own tests."""


@dataclass(frozen=True)
class Run:
    seed: int
    seconds: int
    returncode: int
    output: str


def soak_seconds() -> int:
    return int(os.environ.get("SCHEMATHESIS_SECONDS", "600"))


def first_seed() -> int:
    """SCHEMATHESIS_SEED replays a run that found something (its seed is in the failure)."""
    chosen = os.environ.get("SCHEMATHESIS_SEED")
    return int(chosen) if chosen else random.randrange(2**31)


async def test_schemathesis_finds_nothing_in_ten_minutes(kafka_servers: str, tmp_path: Path) -> None:
    budget, seed = soak_seconds(), first_seed()
    runs: list[Run] = []
    began = time.monotonic()
    # The test's own bound (pytest-timeout's 300 s is off for it): every run is bounded as well.
    async with asyncio.timeout(budget + 3 * SLACK_S):
        async with running_stack(kafka_servers, tmp_path, gateway_overrides={"limits": UNLIMITED}) as stack:
            while (left := int(budget - (time.monotonic() - began))) >= 10 and not _failed(runs):
                report_dir = tmp_path / f"run-{len(runs)}"
                runs.append(await _schemathesis(stack.base_url, left, seed + len(runs), report_dir))
    spent = time.monotonic() - began
    print(f"schemathesis: {len(runs)} run(s), {spent:.0f} s, seeds {[r.seed for r in runs]}")
    for run in runs:
        print(_summary(run.output))
    failed = [run for run in runs if run.returncode != 0]
    assert not failed, "\n\n".join(f"seed {r.seed} (exit {r.returncode}):\n{_findings(r.output)}" for r in failed)
    assert spent >= budget - 10, f"schemathesis ran {spent:.0f} s of its {budget} s"


def _failed(runs: list[Run]) -> bool:
    return any(run.returncode != 0 for run in runs)


async def _schemathesis(base_url: str, seconds: int, seed: int, report_dir: Path) -> Run:
    schemathesis = Path(sys.executable).with_name("schemathesis")
    process = await asyncio.create_subprocess_exec(
        str(schemathesis), "run", f"{base_url}/openapi.json",
        "--header", f"Authorization: Bearer {API_KEY}",
        "--checks", SCHEMATHESIS_CHECKS,
        "--phases", "examples,coverage,fuzzing,stateful",
        "--max-time", str(seconds),
        "--continue-on-failure",
        "--request-timeout", "10",
        "--seed", str(seed),
        # As in the short run: the change feed waits by design (tests/integration/test_feed.py covers it).
        "--exclude-path-regex", "^/events",
        "--report", "junit",
        "--report-dir", str(report_dir),
        "--no-color",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=seconds + SLACK_S)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return Run(seed, seconds, process.returncode, output.decode(errors="replace"))


def _summary(output: str) -> str:
    """schemathesis's closing summary (its last section)."""
    marker = output.rfind("SUMMARY")
    return output[marker:] if marker >= 0 else output[-3000:]


def _findings(output: str, limit: int = 30_000) -> str:
    """The failures section, with its reproductions; the whole output's tail without one."""
    start = output.find("FAILURES")
    return (output[start:] if start >= 0 else output)[-limit:]
