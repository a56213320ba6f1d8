"""One restate-server and one `noop_service.py` on free local ports, registered and ready."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.restate.install import Installed, RestateUnavailable
from bench.restate.load import CALL_BODY, CALL_PATH
from infra.kafka.launcher import free_port

SERVICE_SCRIPT = Path(__file__).with_name("noop_service.py")
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class Stack:
    ingress: str
    """Base URL of the ingress: `POST {ingress}/Noop/run` is one durable no-op call."""
    admin: str
    pids: tuple[int, ...]
    """restate-server's and the service's, to read their CPU time."""

    def cpu_seconds(self) -> tuple[float, float]:
        """User + system CPU time used so far by the server and by the service (all threads)."""
        server, service = self.pids
        return _cpu_seconds(server), _cpu_seconds(service)


def _cpu_seconds(pid: int) -> float:
    # Fields 14 and 15 of /proc/PID/stat, after the parenthesised command name.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_config(ingress: int, admin: int, node: int) -> str:
    # Defaults otherwise (24 partitions, local loglet, RocksDB with WAL fsync), as the issue's
    # figures were taken with a stock 1.7 server. TCP only: no unix sockets in the data dir.
    return f"""\
bind-ip = "127.0.0.1"
bind-port = {node}
listen-mode = "tcp"
disable-telemetry = true
log-filter = "warn"
log-format = "compact"
log-disable-ansi-codes = true

[ingress]
bind-port = {ingress}

[admin]
bind-port = {admin}
disable-web-ui = true
"""


@contextlib.contextmanager
def running(installed: Installed, data_dir: Path) -> Iterator[Stack]:
    """Start both processes, register the service, wait until a call goes through; always stop."""
    ingress, admin, node, service = (free_port() for _ in range(4))
    config = data_dir / "restate.toml"
    config.write_text(server_config(ingress, admin, node), encoding="utf-8")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        server = [str(installed.server), "--config-file", str(config), "--base-dir", str(data_dir / "data")]
        processes.append(_spawn([*server, "--node-name", "bench", "--no-logo"], data_dir / "restate-server.log"))
        processes.append(_spawn([str(installed.python), str(SERVICE_SCRIPT), str(service)], data_dir / "service.log"))
        stack = Stack(f"http://127.0.0.1:{ingress}", f"http://127.0.0.1:{admin}", tuple(p.pid for p in processes))
        _wait_http(f"{stack.admin}/health", processes, data_dir)
        _wait_http(f"http://127.0.0.1:{service}/health", processes, data_dir)
        _register(stack.admin, f"http://127.0.0.1:{service}")
        _wait_call(stack.ingress, processes, data_dir)
        yield stack
    finally:
        for process in processes:
            _stop(process)


def _spawn(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        # A session of its own, so the whole group (the server's threads, any children) can be
        # signalled at once and nothing outlives the bench.
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    # SIGINT, not SIGTERM: the Restate SDK takes SIGTERM over at its first invocation (to drain
    # its streams) and never exits on it; both processes stop cleanly on SIGINT.
    for sig in (signal.SIGINT, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
            return
        except subprocess.TimeoutExpired:
            continue


def _wait_http(url: str, processes: list[subprocess.Popen[bytes]], data_dir: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        _check_alive(processes, data_dir)
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.HTTPError):
            pass
        time.sleep(0.2)
    raise RestateUnavailable(f"{url} not ready after {READY_TIMEOUT_S:.0f} s; {_log_tails(data_dir)}")


def _register(admin: str, service_url: str) -> None:
    body = json.dumps({"uri": service_url}).encode()
    request = urllib.request.Request(
        f"{admin}/deployments", data=body, method="POST", headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            if response.status not in (200, 201):
                raise RestateUnavailable(f"registering the deployment answered {response.status}")
    except urllib.error.HTTPError as error:
        raise RestateUnavailable(f"registering the deployment answered {error.code}: {error.read()!r}") from error


def _wait_call(ingress: str, processes: list[subprocess.Popen[bytes]], data_dir: Path) -> None:
    """The schema reaches the ingress and the partitions elect leaders a little after
    registration: until then calls answer 404 or 503."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    last = ""
    while time.monotonic() < deadline:
        _check_alive(processes, data_dir)
        request = urllib.request.Request(
            f"{ingress}{CALL_PATH}", data=CALL_BODY, method="POST", headers={"content-type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError as error:
            last = f"{error.code} {error.read()[:200]!r}"
        except OSError as error:
            last = str(error)
        time.sleep(0.2)
    raise RestateUnavailable(f"no call went through in {READY_TIMEOUT_S:.0f} s (last: {last}); {_log_tails(data_dir)}")


def _check_alive(processes: list[subprocess.Popen[bytes]], data_dir: Path) -> None:
    for process in processes:
        if process.poll() is not None:
            raise RestateUnavailable(f"{process.args!r} exited with {process.returncode}; {_log_tails(data_dir)}")


def _log_tails(data_dir: Path, lines: int = 5) -> str:
    """The data dir is a temporary one, gone once the bench ends: quote the logs' ends instead."""
    tails = []
    for log in sorted(data_dir.glob("*.log")):
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-lines:]
        tails.append(f"{log.name}: {' | '.join(tail) or '(empty)'}")
    return "; ".join(tails)
