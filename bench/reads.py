"""GET of one execution through the gateway, against a bare aiohttp handler serving the same
document, both loaded by wrk (one thread, 50 connections) in the same run."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass

from infra.kafka.launcher import free_port

SECONDS = 10
CONNECTIONS = 50


@dataclass
class ReadFigures:
    gateway_per_s: float
    gateway_p99_ms: float
    bare_per_s: float
    bare_p99_ms: float
    document_bytes: int

    @property
    def ratio(self) -> float:
        return self.gateway_per_s / self.bare_per_s


def wrk(url: str, headers: dict[str, str]) -> tuple[float, float]:
    """Requests/s and the 99th percentile latency in ms."""
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", url]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    assert p99 is not None, out
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99[2]]
    return rate, float(p99[1]) * scale


def measure(base_url: str, key: str, execution_id: str) -> ReadFigures | None:
    if shutil.which("wrk") is None:
        print("reads: wrk not found (apt-get install wrk); skipped", file=sys.stderr)
        return None
    url = f"{base_url}/pipeline-executions/{execution_id}"
    headers = {"Authorization": f"Bearer {key}"}
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request) as response:
        document = response.read()
    gateway = wrk(url, headers)
    with tempfile.NamedTemporaryFile(suffix=".json") as file:
        file.write(document)
        file.flush()
        port = free_port()
        bare = subprocess.Popen([sys.executable, "-m", "bench.bare_server", str(port), file.name])
        try:
            _wait_up(f"http://127.0.0.1:{port}/x")
            baseline = wrk(f"http://127.0.0.1:{port}/pipeline-executions/{execution_id}", headers)
        finally:
            bare.terminate()
            bare.wait(timeout=10)
    return ReadFigures(gateway[0], gateway[1], baseline[0], baseline[1], len(document))


def _wait_up(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")
