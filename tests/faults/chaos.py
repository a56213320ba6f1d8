"""kill -9 of one part of the running system while executions are in flight, and an audit after.

The parts run as the real processes `make run` starts (broker, handler, gateway), on their own
broker. Clients trigger executions at a steady rate, each with its own Idempotency-Key, and do what each answer
says (retry an unknown outcome or a refusal with the same key; a connection refused while the
gateway is down is retried too). During the load the chosen part is killed with SIGKILL at
random moments and started again. Afterwards the whole log is read and folded, and compared with
what clients were told and with the gateway's read model.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from contracts.codec import decode
from infra.kafka.launcher import LocalBroker, free_port
from projections.batch import LoggedEvent, fold_batch
from projections.log_reader import whole_topic
from services.kafka_io import partitions_of
from services.kafka_settings import KafkaSettings

KEY = "chaos-key"
TARGETS = ("handler", "gateway", "broker")
TERMINAL = {"succeeded", "failed", "cancelled"}
PIPELINES = ("pl_no_op", "pl_no_op", "pl_no_op", "pl_document_summarizer")
"""Mostly quick ones, and some that are still running when a kill comes."""
RATE_PER_S = 60.0
"""Triggers per second: well under what this machine sustains, so kills, not load, are the fault."""
BODIES = {"pl_no_op": {"input": {}}, "pl_document_summarizer": {"input": {"dataInputs": {"query": "Keep. Going."}}}}


@dataclass
class CaseResult:
    case: str
    attempted: int
    acknowledged: int
    lost: int
    doubled: int
    stuck: int
    gaps: int
    read_model_mismatches: int
    resumed: int
    """Executions whose events came from more than one handler instance: the kills hit work in flight."""
    kills: int
    seconds: float

    @property
    def clean(self) -> bool:
        return not (self.lost or self.doubled or self.stuck or self.gaps or self.read_model_mismatches)

    def row(self) -> str:
        return (
            f"| {self.case} | {self.attempted} | {self.acknowledged} | {self.lost} | {self.doubled} | {self.stuck} "
            f"| {self.gaps} | {self.read_model_mismatches} | {self.resumed} | {self.kills} | {self.seconds:.0f} |"
        )


HEADER = (
    "| case | attempted | acknowledged | lost | doubled | stuck | sequence gaps | read model ≠ fold "
    "| resumed | kills | s |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)


@dataclass
class System:
    """Broker, handler and gateway as separate processes, each killable and restartable."""

    root: Path
    broker: LocalBroker
    port: int = field(default_factory=free_port)
    topic: str = field(default_factory=lambda: f"chaos-{uuid.uuid4().hex[:8]}")
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    starts: Counter[str] = field(default_factory=Counter)
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": self.broker.bootstrap_servers, "PORT": str(self.port),
                "DATA_DIR": str(self.root / "data"), "DEV_API_KEY": KEY, "EVENTS_TOPIC": self.topic,
                "HANDLER_CONSUMER_GROUP": f"group-{self.topic}", "DEMO_STEP_DELAY_S": "0.2",
                "RATE_LIMIT_PER_MINUTE": "100000000", "KAFKA_SEND_TIMEOUT_S": "3", **self.extra_env}  # fmt: skip

    def start(self, part: str) -> None:
        if part == "broker":
            self.broker.start()
            return
        self.starts[part] += 1
        log = (self.root / f"{part}-{self.starts[part]}.log").open("ab")
        env = {**self.env(), "HANDLER_INSTANCE_ID": f"handler-{self.starts[part]}"}
        self.processes[part] = subprocess.Popen([sys.executable, "-m", f"services.{part}"], env=env,
                                                stdout=log, stderr=log, start_new_session=True)  # fmt: skip

    def kill(self, part: str) -> None:
        pid = self.broker.pid if part == "broker" else self.processes[part].pid
        assert pid is not None
        os.killpg(pid, signal.SIGKILL)
        if part != "broker":
            self.processes[part].wait()

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    async def wait_ready(self, timeout: float = 60.0) -> None:
        async with aiohttp.ClientSession() as http, asyncio.timeout(timeout):
            while True:
                try:
                    async with http.get(self.base_url + "/readyz") as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.3)


@dataclass
class Ledger:
    """What clients were told: the execution id of each acknowledged key."""

    acknowledged: dict[str, str] = field(default_factory=dict)
    attempted: int = 0


async def trigger_until_answered(http: aiohttp.ClientSession, base: str, key: str, pipeline: str) -> str | None:
    """The execution id once acknowledged (201 or 200); None if no answer came in time."""
    headers = {"Authorization": f"Bearer {KEY}", "Idempotency-Key": key}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            async with http.post(f"{base}/pipelines/{pipeline}/trigger", json=BODIES[pipeline], headers=headers) as r:
                body = await r.json(content_type=None)
                if r.status in (200, 201):
                    return str(body["executionId"])
                assert r.status in (503, 429), (r.status, body)  # told to retry
        except (TimeoutError, aiohttp.ClientError, json.JSONDecodeError):
            pass  # the gateway is down or went down mid-request: retry with the same key
        await asyncio.sleep(0.3)
    return None


async def load(system: System, executions: int, duration_s: float, ledger: Ledger) -> None:
    """Triggers spread evenly over `duration_s` (open loop: a stalled gateway still sees the rate)."""
    timeout = aiohttp.ClientTimeout(total=15)
    async with aiohttp.ClientSession(timeout=timeout) as http:

        async def one(n: int) -> None:
            key = f"chaos-{uuid.uuid4().hex}"
            execution_id = await trigger_until_answered(http, system.base_url, key, PIPELINES[n % len(PIPELINES)])
            if execution_id is not None:
                ledger.acknowledged[key] = execution_id

        loop = asyncio.get_running_loop()
        began, tasks = loop.time(), []
        for n in range(executions):
            await asyncio.sleep(max(0.0, began + n * duration_s / executions - loop.time()))
            ledger.attempted += 1
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)


async def kill_at_random(system: System, part: str, kills: int, window_s: float, rng: random.Random) -> int:
    loop = asyncio.get_running_loop()
    began, done = loop.time(), 0
    for moment in sorted(rng.uniform(0.15 * window_s, 0.85 * window_s) for _ in range(kills)):
        await asyncio.sleep(max(0.0, began + moment - loop.time()))
        await asyncio.to_thread(system.kill, part)
        done += 1
        await asyncio.sleep(rng.uniform(0.2, 1.5))  # down for a moment, then back
        await asyncio.to_thread(system.start, part)
        if part != "handler":
            await system.wait_ready(120)
    return done


async def read_whole_log(kafka: KafkaSettings) -> list[LoggedEvent]:
    partitions = await partitions_of(kafka, kafka.events_topic)
    return [LoggedEvent(decode(r.value), r.topic, r.partition, r.offset, r.value)
            async for r in whole_topic(kafka.bootstrap_servers, kafka.events_topic, partitions)]  # fmt: skip


async def read_model_view(system: System) -> dict[str, dict[str, Any]]:
    """Every execution as the gateway serves it, all pages."""
    found: dict[str, dict[str, Any]] = {}
    headers = {"Authorization": f"Bearer {KEY}"}
    async with aiohttp.ClientSession() as http:
        page = 1
        while True:
            url = f"{system.base_url}/pipeline-executions?page={page}&pageSize=100"
            async with http.get(url, headers=headers) as resp:
                body = await resp.json()
            found |= {item["executionId"]: item for item in body["data"]}
            if page * 100 >= body["total"]:
                return found
            page += 1


async def wait_all_terminal(system: System, ids: set[str], timeout: float) -> dict[str, dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        view = await read_model_view(system)
        unfinished = [i for i in ids if view.get(i, {}).get("status") not in TERMINAL]
        if not unfinished or time.monotonic() > deadline:
            return view
        await asyncio.sleep(1.0)


def audit(ledger: Ledger, log: list[LoggedEvent], view: dict[str, dict[str, Any]]) -> dict[str, int]:
    by_execution: dict[str, list[LoggedEvent]] = defaultdict(list)
    for item in log:
        by_execution[item.event.subject].append(item)
    acknowledged = set(ledger.acknowledged.values())
    lost = sum(1 for i in acknowledged if not any(e.event.type == "execution.created.v1" for e in by_execution[i]))
    # Two keys never share an id (it is derived from the key), so "twice" can only mean two ends.
    doubled = sum(
        1 for items in by_execution.values()
        if len({e.event.id for e in items if e.event.type == "execution.completed.v1"}) > 1
    )  # fmt: skip
    gaps = 0
    for items in by_execution.values():
        sequences = sorted({e.event.sequence for e in items if e.event.sequence is not None})
        gaps += sequences != list(range(1, len(sequences) + 1))
    stuck = sum(1 for i in acknowledged if view.get(i, {}).get("status") not in TERMINAL)
    oracle = fold_batch({}, log)
    mismatches = sum(1 for i, state in oracle.states.items() if view.get(i) != state.to_api())
    resumed = sum(
        1 for items in by_execution.values() if len({e.event.actor for e in items if e.event.sequence != 1}) > 1
    )
    return {"lost": lost, "doubled": doubled, "stuck": stuck, "gaps": gaps, "mismatches": mismatches,
            "resumed": resumed}  # fmt: skip


async def run_case(root: Path, part: str, executions: int, kills: int, seed: int = 7) -> CaseResult:
    began = time.monotonic()
    broker = LocalBroker(root / "kafka")
    await asyncio.to_thread(broker.start)
    system = System(root, broker)
    try:
        system.start("handler")
        system.start("gateway")
        await system.wait_ready()
        ledger = Ledger()
        duration = max(5.0, executions / RATE_PER_S)
        loading = asyncio.create_task(load(system, executions, duration, ledger))
        done = await kill_at_random(system, part, kills, duration, random.Random(seed))
        await loading
        view = await wait_all_terminal(system, set(ledger.acknowledged.values()), timeout=180)
        kafka = KafkaSettings(bootstrap_servers=broker.bootstrap_servers, events_topic=system.topic)
        found = audit(ledger, await read_whole_log(kafka), view)
    finally:
        system.stop()
        await asyncio.to_thread(broker.stop)
    return CaseResult(f"kill -9 {part}", ledger.attempted, len(ledger.acknowledged), found["lost"],
                      found["doubled"], found["stuck"], found["gaps"], found["mismatches"], found["resumed"], done,
                      time.monotonic() - began)  # fmt: skip


def main() -> None:
    """`make faults`: every part killed three times during ~1,000 executions; the table to docs/."""
    import argparse
    import platform
    import tempfile
    from datetime import UTC, datetime

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--executions", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--output", type=Path, default=Path("docs/faults.md"))
    args = parser.parse_args()
    results = []
    for part in TARGETS:
        with tempfile.TemporaryDirectory(prefix=f"chaos-{part}-") as root:
            results.append(asyncio.run(run_case(Path(root), part, args.executions, args.kills)))
            print(HEADER.splitlines()[0] if len(results) == 1 else "", results[-1].row(), sep="\n", flush=True)
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())  # fmt: skip
    previous = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
    table = merged_table(previous, results)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    args.output.write_text(FAULTS_PAGE.format(when=when, cpus=os.cpu_count(), cpu=cpu, table=table))
    print(table)
    if not all(r.clean for r in results):
        raise SystemExit("a fault case lost, doubled or stranded an execution")


def _case_of(line: str) -> str | None:
    """The case a line of the table is a row of; None for anything else (header, rule, prose)."""
    cells = [cell.strip() for cell in line.strip().strip("|").split("|")] if line.startswith("| ") else []
    return cells[0] if cells and cells[0] not in ("case", "---") else None


def merged_table(previous: str, results: list[CaseResult]) -> str:
    """The table of `previous` with each result's row in place of its case's old one (new cases
    last): rows of cases another runner wrote (tests/faults/test_cluster.py) stay as they were."""
    fresh = {r.case: r.row() for r in results}
    rows = {case: line for line in previous.splitlines() if (case := _case_of(line)) is not None}
    return "\n".join([HEADER, *{**rows, **fresh}.values()])


def record_rows(page: Path, results: list[CaseResult]) -> None:
    """Put these results' rows into the table of an existing faults page, leaving the rest as it is."""
    text = page.read_text(encoding="utf-8")
    lines = text.splitlines()
    rows = [n for n, line in enumerate(lines) if line.startswith("| ")]
    if not rows:
        raise ValueError(f"{page} has no table")
    lines[rows[0] : rows[-1] + 1] = merged_table(text, results).splitlines()
    page.write_text("\n".join(lines) + "\n", encoding="utf-8")


FAULTS_PAGE = """# Fault cases: kill -9 during load

`make faults` ({when}, {cpus} × {cpu}; broker, handler, gateway and clients on the same cores).
Each case runs the real processes on their own broker, triggers executions at a steady rate,
each retried as its answers say, and kills the named part with SIGKILL at three random moments,
starting it again each time. Afterwards the whole log is read and folded.

- *acknowledged*: answered 201 or 200; *lost*: acknowledged, but no `Created` on the log;
- *doubled*: an execution with more than one `Completed`; *stuck*: acknowledged, not terminal
  3 minutes after the load; *sequence gaps*: an execution whose sequences are not 1..n;
- *read model ≠ fold*: an execution the gateway serves otherwise than a fold of the whole log;
- *resumed*: executions whose lifecycle events came from more than one handler instance (a
  handler killed while they ran, another finishing them): the kills hit work in flight.
- *kill -9 1 of 3 brokers*: a three-node cluster (each node broker and controller, replication 3,
  `min.insync.replicas` 2); the broker leading the most event partitions is killed once, 6 s into
  25 s of load, and started again 10 s later; a GET of every acknowledged execution is compared
  with the fold too (`tests/faults/test_cluster.py`, its row written by `make faults`).

{table}

A short version of each case (fewer executions, one kill) runs in `make test`
(`tests/faults/test_kill9.py`, `tests/faults/test_cluster.py`).

`make faults` also runs schemathesis against `/openapi.json` for 10 minutes
(`tests/faults/test_schemathesis_soak.py`): no 5xx, every response as documented.
"""


if __name__ == "__main__":
    main()
