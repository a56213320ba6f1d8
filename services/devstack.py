"""`make run`: the broker, the handler, the gateway and the webhooks dispatcher on this machine, stopped together.

Uses $KAFKA_BOOTSTRAP_SERVERS when set, else starts a local KRaft broker under
$DATA_DIR/kafka. Ctrl-C or SIGTERM stops every process it started.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from types import FrameType

from infra.kafka.launcher import LocalBroker

READY_TIMEOUT_S = 60.0


class Stop(Exception):
    pass


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise Stop()


def dev_api_key(data_dir: Path) -> str:
    """The dev tenant's key, kept in the data dir so it stays the same from one `make run` to the next."""
    path = data_dir / "dev-api-key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(24)
    path.touch(mode=0o600)
    path.write_text(key + "\n")
    return key


def broker_servers(stack: ExitStack, data_dir: Path) -> str:
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        print(f"using the Kafka cluster at {external}", flush=True)
        return external
    port = int(os.environ["KAFKA_PORT"]) if os.environ.get("KAFKA_PORT") else None
    broker = stack.enter_context(LocalBroker(data_dir / "kafka", port=port))
    print(f"Kafka broker (KRaft, local) on {broker.bootstrap_servers}; log: {broker.log_path}", flush=True)
    return broker.bootstrap_servers


def spawn(module: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", module], env=env)


def wait_ready(url: str, processes: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            raise SystemExit("a service exited during start-up; see its log above")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"gateway not ready at {url} after {READY_TIMEOUT_S:g} s")


def stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def main() -> int:
    data_dir = Path(os.environ.get("DATA_DIR", ".data")).resolve()
    port = os.environ.get("PORT", "8080")
    api_key = os.environ.get("DEV_API_KEY") or dev_api_key(data_dir)
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    processes: list[subprocess.Popen[bytes]] = []
    with ExitStack() as stack:
        try:
            env = {
                **os.environ,
                "KAFKA_BOOTSTRAP_SERVERS": broker_servers(stack, data_dir),
                "DATA_DIR": str(data_dir),
                "PORT": port,
                "DEV_API_KEY": api_key,
            }
            processes += [
                spawn("services.handler", env),
                spawn("services.gateway", env),
                spawn("services.webhooks", env),
            ]
            wait_ready(f"http://127.0.0.1:{port}/readyz", processes)
            print(f"\nready: http://127.0.0.1:{port}   API key: {api_key}", flush=True)
            print(f"  curl -H 'Authorization: Bearer {api_key}' http://127.0.0.1:{port}/pipelines\n", flush=True)
            while all(p.poll() is None for p in processes):
                time.sleep(0.5)
            print("a service exited; stopping the rest", flush=True)
            return 1
        except Stop:
            print("\nstopping...", flush=True)
            return 0
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            stop_all(processes)


if __name__ == "__main__":
    sys.exit(main())
