"""kill -9 of one broker of a three-node cluster under load: no acknowledged event is lost.

The cluster runs topics at replication 3 with `min.insync.replicas` 2, so an acknowledged
append is on two brokers before the gateway answers 201. The broker leading the most event
partitions is SIGKILLed mid-load (no controlled hand-over: its partitions move once the
controller fences it), the load goes on while it is away, then it is started again and catches
up. The audit is chaos.py's (whole log folded, compared with what clients were told and with
the list view) plus a GET of every acknowledged execution. The short case runs in `make test`;
the full one (`-m slow`, `make faults`) writes its row into docs/faults.md.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError

from infra.kafka.cluster import LocalCluster
from projections.batch import LoggedEvent, fold_batch
from services.kafka_settings import KafkaSettings
from tests.faults.chaos import (
    KEY,
    CaseResult,
    Ledger,
    System,
    audit,
    load,
    read_whole_log,
    record_rows,
    wait_all_terminal,
)

pytestmark = pytest.mark.integration

CASE = "kill -9 1 of 3 brokers"
FAULTS_PAGE = Path(__file__).resolve().parents[2] / "docs" / "faults.md"


@dataclass(frozen=True)
class Plan:
    executions: int
    load_s: float
    """The triggers are spread evenly over this long (open loop)."""
    kill_at_s: float
    down_s: float
    finish_s: float
    """How long after the load every acknowledged execution has to reach a terminal state."""


SHORT = Plan(executions=300, load_s=12.0, kill_at_s=3.0, down_s=5.0, finish_s=60.0)
FULL = Plan(executions=1500, load_s=25.0, kill_at_s=6.0, down_s=10.0, finish_s=180.0)


async def test_one_broker_killed_loses_nothing(tmp_path: Path) -> None:
    result = await run_cluster_case(tmp_path, SHORT)
    _assert_clean(result)


@pytest.mark.slow
async def test_one_broker_killed_loses_nothing_full(tmp_path: Path) -> None:
    result = await run_cluster_case(tmp_path, FULL)
    record_rows(FAULTS_PAGE, [result])
    _assert_clean(result)


def _assert_clean(result: CaseResult) -> None:
    print(result.row())
    assert result.kills == 1
    assert result.acknowledged == result.attempted, "every client got its execution acknowledged in the end"
    assert (result.lost, result.doubled, result.stuck, result.gaps) == (0, 0, 0, 0), result
    assert result.read_model_mismatches == 0, result


async def run_cluster_case(root: Path, plan: Plan) -> CaseResult:
    began = time.monotonic()
    cluster = LocalCluster(root / "kafka")
    await asyncio.to_thread(cluster.start)
    # System reads only `bootstrap_servers` from its broker; its own broker kills are not used here.
    system = System(root, cluster, extra_env={"EVENTS_REPLICATION_FACTOR": "3"})  # type: ignore[arg-type]
    loading: asyncio.Task[None] | None = None
    try:
        system.start("handler")
        system.start("gateway")
        await system.wait_ready()
        _assert_services_alive(system)
        kafka = KafkaSettings(bootstrap_servers=cluster.bootstrap_servers, events_topic=system.topic)
        await _assert_replicated(kafka)
        ledger = Ledger()
        loading = asyncio.create_task(load(system, plan.executions, plan.load_s, ledger))
        await _kill_a_leader_and_restart(cluster, kafka, plan)
        await loading
        _assert_services_alive(system)
        view = await wait_all_terminal(system, set(ledger.acknowledged.values()), timeout=plan.finish_s)
        log = await read_whole_log(kafka)
        found = audit(ledger, log, view)
        if found["stuck"]:
            _print_log_tails(system)
        wrong_gets = await _gets_unlike_the_fold(system, ledger, log)
        print(f"{len(log)} records, {_repeated_records(log)} repeated (same execution and sequence)")
    finally:
        if loading is not None:
            loading.cancel()  # a failure mid-load: no clients left knocking at a stopped gateway
        system.stop()
        await asyncio.to_thread(cluster.stop)
    return CaseResult(CASE, ledger.attempted, len(ledger.acknowledged), found["lost"], found["doubled"],
                      found["stuck"], found["gaps"], found["mismatches"] + wrong_gets, found["resumed"], 1,
                      time.monotonic() - began)  # fmt: skip


def _assert_services_alive(system: System) -> None:
    """Fail at once, with the reason, rather than after minutes of waiting for a dead service."""
    for part, process in system.processes.items():
        if process.poll() is not None:
            _print_log_tails(system)
            raise AssertionError(f"{part} exited with {process.returncode}")


def _print_log_tails(system: System) -> None:
    """What the services said last, minus access lines (a handler whose start failed can stay up)."""
    for path in sorted(system.root.glob("*.log")):
        lines = [line for line in path.read_text(errors="replace").splitlines() if "aiohttp.access" not in line]
        print(f"--- {path.name}, last lines:", *lines[-40:], sep="\n")


async def _assert_replicated(kafka: KafkaSettings) -> None:
    """The services created the event topic with three replicas and min.insync.replicas 2."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap_servers)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([kafka.events_topic])
        (configs,) = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, kafka.events_topic)])
    finally:
        await admin.close()
    assert {len(p["replicas"]) for p in described["partitions"]} == {3}
    entries = {name: value for name, value, *_ in configs.resources[0][4]}
    assert entries["min.insync.replicas"] == "2"


async def _kill_a_leader_and_restart(cluster: LocalCluster, kafka: KafkaSettings, plan: Plan) -> None:
    await asyncio.sleep(plan.kill_at_s)
    leaders = Counter((await _leaders(kafka)).values())
    victim = min(leaders, key=lambda node: (-leaders[node], node))  # the busiest leader, lowest id on a tie
    killed_at = time.monotonic()
    cluster.kill(victim)
    # Shows the kill hit the load: the victim's partitions had no leader until the controller fenced it.
    while victim in (await _leaders(kafka)).values():
        await asyncio.sleep(0.2)
    print(f"killed broker {victim} (leader of {leaders[victim]} partitions) at {plan.kill_at_s:g} s; "
          f"its partitions moved after {time.monotonic() - killed_at:.1f} s")  # fmt: skip
    await asyncio.sleep(max(0.0, killed_at + plan.down_s - time.monotonic()))
    await asyncio.to_thread(cluster.start_node, victim)


async def _leaders(kafka: KafkaSettings) -> dict[int, int]:
    """The leader of each partition of the event topic, by partition (asked again when the
    admin client happened to pick the dead node)."""
    async with asyncio.timeout(30):
        while True:
            admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap_servers)
            try:
                await admin.start()
                (described,) = await admin.describe_topics([kafka.events_topic])
                return {p["partition"]: p["leader"] for p in described["partitions"]}
            except KafkaError:
                await asyncio.sleep(0.2)
            finally:
                await admin.close()


async def _gets_unlike_the_fold(system: System, ledger: Ledger, log: list[LoggedEvent]) -> int:
    """Acknowledged executions whose GET differs from a fold of the whole log."""
    oracle = fold_batch({}, log).states
    headers = {"Authorization": f"Bearer {KEY}"}
    async with aiohttp.ClientSession() as http:

        async def one(execution_id: str) -> bool:
            async with http.get(f"{system.base_url}/pipeline-executions/{execution_id}", headers=headers) as resp:
                body: dict[str, Any] = await resp.json()
            state = oracle.get(execution_id)
            return resp.status != 200 or state is None or body != state.to_api()

        return sum(await asyncio.gather(*(one(i) for i in set(ledger.acknowledged.values()))))


def _repeated_records(log: list[LoggedEvent]) -> int:
    """Records of an (execution, sequence) already on the log: readers skip them by design, counted to see."""
    seen = Counter((item.event.subject, item.event.sequence) for item in log)
    return sum(count - 1 for count in seen.values())
