"""Pick a Kafka broker for tests: an existing one, a Docker container, or a local JVM.

Order:
1. ``KAFKA_BOOTSTRAP_SERVERS`` set in the environment: use it, start nothing.
2. A Docker engine answers and testcontainers is installed: ``apache/kafka`` image.
3. Otherwise: ``LocalBroker`` (jars from Maven Central, run with the local ``java``).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from infra.kafka.launcher import KAFKA_VERSION, LocalBroker, broker_answers, free_port

DOCKER_IMAGE = f"apache/kafka:{KAFKA_VERSION}"
_TEMPLATE = Path(__file__).resolve().parent / "server.properties.template"


@contextlib.contextmanager
def kafka_bootstrap(data_dir: Path) -> Iterator[str]:
    """Yield bootstrap servers ("host:port") of a ready broker; stop it on exit."""
    existing = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "").strip()
    if existing:
        yield existing
    elif _docker_available() and importlib.util.find_spec("testcontainers") is not None:
        with _docker_broker() as servers:
            yield servers
    else:
        with LocalBroker(Path(data_dir)) as broker:
            yield broker.bootstrap_servers


def _docker_available(timeout: float = 5.0) -> bool:
    """True when ``docker info`` succeeds quickly (an engine is reachable)."""
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        result = subprocess.run([docker, "info"], capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def _env_name(key: str) -> str:
    """apache/kafka image convention: '.' -> '_', '_' -> '__', '-' -> '___'."""
    return "KAFKA_" + key.replace("_", "__").replace("-", "___").replace(".", "_").upper()


def _shared_settings() -> dict[str, str]:
    """Port-independent settings of server.properties.template, as image env vars."""
    settings: dict[str, str] = {}
    for line in _TEMPLATE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line or "${" in line:
            continue
        key, _, value = line.partition("=")
        settings[_env_name(key.strip())] = value.strip()
    return settings


def _container_env(host: str, host_port: int) -> dict[str, str]:
    """Single-node KRaft: EXTERNAL for the host, BROKER inside, CONTROLLER for raft."""
    return {
        **_shared_settings(),
        "CLUSTER_ID": "4L6g3nShT-eMCtK--X86sw",
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093",
        "KAFKA_LISTENERS": "EXTERNAL://:9092,CONTROLLER://:9093,BROKER://:19092",
        "KAFKA_ADVERTISED_LISTENERS": f"EXTERNAL://{host}:{host_port},BROKER://localhost:19092",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": ("EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT,BROKER:PLAINTEXT"),
        "KAFKA_INTER_BROKER_LISTENER_NAME": "BROKER",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_LOG_DIRS": "/tmp/kraft-combined-logs",
    }


def _host_ip(container: Any) -> str:
    try:
        return str(container.get_container_host_ip())
    except Exception:  # noqa: BLE001 - needs a started container in some modes
        return "localhost"


@contextlib.contextmanager
def _docker_broker(timeout: float = 120.0) -> Iterator[str]:
    """Run apache/kafka in Docker with a fixed host port it can advertise."""
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.wait_strategies import LogMessageWaitStrategy

    host_port = free_port()
    container = DockerContainer(DOCKER_IMAGE).with_bind_ports(9092, host_port)
    host = _host_ip(container)
    container.with_envs(**_container_env(host, host_port))
    container.waiting_for(LogMessageWaitStrategy("Kafka Server started").with_startup_timeout(int(timeout)))
    with container:
        _wait_answers(host, host_port, timeout)
        yield f"{host}:{host_port}"


def _wait_answers(host: str, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not broker_answers(port, host):
        if time.monotonic() > deadline:
            raise RuntimeError(f"Kafka container not answering on {host}:{port}")
        time.sleep(0.5)
