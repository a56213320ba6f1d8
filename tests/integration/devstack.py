"""The stack `make run` starts (services.devstack) as real processes, on the session's broker."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import requests

from infra.kafka.launcher import free_port


@asynccontextmanager
async def devstack_processes(
    kafka_servers: str, data_dir: Path, key: str, output: Path | None = None, **env: str
) -> AsyncIterator[str]:
    """Yields the gateway's base URL; `env` adds to or overrides the services' environment;
    with `output`, what they print goes to that file."""
    port = free_port()
    full_env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_servers, "PORT": str(port), "DATA_DIR": str(data_dir),
                "DEV_API_KEY": key, "EVENTS_TOPIC": f"seed-{port}", "HANDLER_CONSUMER_GROUP": f"seed-{port}",
                **env}  # fmt: skip
    sink = output.open("wb") if output is not None else None
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.devstack", env=full_env, stdout=sink, stderr=sink
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if (await asyncio.to_thread(requests.get, f"{base}/readyz", timeout=1)).status_code == 200:
                break
        except requests.RequestException:
            pass
        await asyncio.sleep(0.3)
    else:
        process.kill()
        raise AssertionError("make run's stack did not become ready in 60 s")
    try:
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0, "make run's stack stops cleanly"
        if sink is not None:
            sink.close()
