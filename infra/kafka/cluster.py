"""Three local KRaft nodes, each a broker and a controller, for fault tests that kill one of them.

Every node is a `LocalBroker` (same jars, template, class-data archive and watchdog) on its own
data dir and ports, with the three controllers as one static quorum: one node down leaves a
quorum of two, and topics of replication factor 3 with `min.insync.replicas=2` keep taking writes.

Command line::

    python -m infra.kafka.cluster run --data-dir DIR     # prints KAFKA_BOOTSTRAP_SERVERS=a,b,c
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType

from infra.kafka.launcher import LocalBroker, _pick_port, _read_json, new_cluster_id

_HOST = "127.0.0.1"
NODE_HEAP = "256m"
"""Three JVMs on a small machine: the single broker's 512 MB heap is more than a test cluster needs."""


def replicated_properties(size: int) -> dict[str, str]:
    """Broker settings for `size` nodes: internal topics replicated like the application's, so
    losing one node loses neither the consumer groups' offsets nor the transactions' state."""
    replicas, min_isr = str(size), str(min(2, size))
    return {
        "default.replication.factor": replicas,
        "min.insync.replicas": min_isr,
        "offsets.topic.replication.factor": replicas,
        "transaction.state.log.replication.factor": replicas,
        "transaction.state.log.min.isr": min_isr,
        "share.coordinator.state.topic.replication.factor": replicas,
        "share.coordinator.state.topic.min.isr": min_isr,
        # Kafka's default, stated: an out-of-sync replica never becomes leader, so nothing acknowledged is dropped.
        "unclean.leader.election.enable": "false",
    }


@dataclass(frozen=True)
class NodePorts:
    port: int
    controller_port: int


def _choose_ports(root: Path, size: int) -> list[NodePorts]:
    """Every node's two ports, chosen before any node starts (each node's voters list names all
    controllers), kept in `<root>/ports.json` and reused when still free."""
    remembered = _read_json(root / "ports.json")
    taken: set[int] = set()
    chosen: list[NodePorts] = []
    for node_id in range(1, size + 1):
        port = _pick_port(None, remembered.get(f"{node_id}.port"), taken)
        taken.add(port)
        controller_port = _pick_port(None, remembered.get(f"{node_id}.controller_port"), taken)
        taken.add(controller_port)
        chosen.append(NodePorts(port, controller_port))
    flat = {f"{n}.{k}": v for n, p in enumerate(chosen, 1) for k, v in vars(p).items()}
    (root / "ports.json").write_text(json.dumps(flat) + "\n", encoding="utf-8")
    return chosen


def _shared_cluster_id(root: Path, size: int) -> None:
    """One cluster id in every node's data dir: nodes formatted with different ids refuse each other."""
    path = root / "cluster.id"
    if not path.exists():
        path.write_text(new_cluster_id() + "\n", encoding="utf-8")
    for node_id in range(1, size + 1):
        node_dir = root / f"node-{node_id}"
        node_dir.mkdir(parents=True, exist_ok=True)
        (node_dir / "cluster.id").write_text(path.read_text(encoding="utf-8"), encoding="utf-8")


class LocalCluster:
    """`size` combined broker+controller nodes (node ids 1..size) under one root folder."""

    def __init__(self, root: Path, size: int = 3, heap: str = NODE_HEAP) -> None:
        self.root = Path(root).resolve()
        self.size = size
        self.heap = heap
        self.nodes: dict[int, LocalBroker] = {}

    @property
    def bootstrap_servers(self) -> str:
        if not self.nodes:
            raise RuntimeError("cluster not started")
        return ",".join(f"{_HOST}:{node.port}" for node in self.nodes.values())

    def start(self, timeout: float = 120.0) -> None:
        """Start every node at once (none is ready before a quorum of controllers is up)."""
        if any(node.is_running() for node in self.nodes.values()):
            return  # started already: new nodes would orphan the running JVMs
        self.root.mkdir(parents=True, exist_ok=True)
        _shared_cluster_id(self.root, self.size)
        ports = _choose_ports(self.root, self.size)
        voters = ",".join(f"{n}@{_HOST}:{p.controller_port}" for n, p in enumerate(ports, 1))
        for node_id, node_ports in enumerate(ports, 1):
            properties = {"node.id": str(node_id), "controller.quorum.voters": voters,
                          **replicated_properties(self.size)}  # fmt: skip
            self.nodes[node_id] = LocalBroker(self.root / f"node-{node_id}", node_ports.port,
                                              node_ports.controller_port, self.heap, properties=properties)  # fmt: skip
        try:
            self._in_parallel(lambda node: node.start(timeout))
        except BaseException:
            self.stop()
            raise

    def kill(self, node_id: int) -> None:
        """SIGKILL one node's JVM (no clean shutdown, no controlled leadership hand-over)."""
        node = self.nodes[node_id]
        if node.pid is None:
            return
        os.killpg(node.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10.0
        while node.is_running() and time.monotonic() < deadline:
            time.sleep(0.05)

    def start_node(self, node_id: int, timeout: float = 90.0) -> None:
        """Start one node again on its data dir and ports (it catches up from the others)."""
        self.nodes[node_id].start(timeout)

    def is_running(self, node_id: int) -> bool:
        return self.nodes[node_id].is_running()

    def stop(self) -> None:
        """Stop every node; each one SIGKILLed if it does not stop within its timeout."""
        self._in_parallel(lambda node: node.stop())

    def _in_parallel(self, action: Callable[[LocalBroker], object]) -> None:
        with ThreadPoolExecutor(max_workers=max(1, len(self.nodes))) as pool:
            for future in [pool.submit(action, node) for node in self.nodes.values()]:
                future.result()

    def __enter__(self) -> LocalCluster:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _run(data_dir: Path, size: int) -> int:
    signals: list[int] = []

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        signals.append(signum)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _on_signal)
    cluster = LocalCluster(data_dir, size)
    try:
        cluster.start()
        print(f"KAFKA_BOOTSTRAP_SERVERS={cluster.bootstrap_servers}", flush=True)
        while not signals:
            time.sleep(0.5)
        return 0
    finally:
        cluster.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.kafka.cluster")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a local cluster until SIGINT/SIGTERM")
    run.add_argument("--data-dir", type=Path, required=True)
    run.add_argument("--size", type=int, default=3)
    args = parser.parse_args(argv)
    try:
        return _run(args.data_dir, args.size)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
