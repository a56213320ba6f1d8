"""The `executions` command finds the broker `make run` started without being told, says so plainly
when there is none, and the dev key stays the same from one `make run` to the next."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from services.devstack import dev_api_key


async def cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    base = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", *args, env={**base, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_cli_finds_make_runs_broker_through_the_data_dir(kafka_servers: str, tmp_path: Path) -> None:
    port = int(kafka_servers.rsplit(":", 1)[1])
    (tmp_path / "kafka").mkdir()
    (tmp_path / "kafka" / "ports.json").write_text(json.dumps({"port": port, "controller_port": 0}))
    code, out, err = await cli({"DATA_DIR": str(tmp_path), "EVENTS_TOPIC": f"cli-{port}"}, "tenants", "create", "Acme")
    assert code == 0, err
    assert json.loads(out)["tenantId"]


async def test_without_a_broker_the_cli_says_where_it_looked(tmp_path: Path) -> None:
    code, out, err = await cli({"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"}, "tenants", "create", "Acme")
    assert code == 2 and out == ""
    assert "cannot reach the Kafka broker at 127.0.0.1:1" in err and "Traceback" not in err


def test_the_dev_key_is_kept_in_the_data_dir(tmp_path: Path) -> None:
    first = dev_api_key(tmp_path)
    assert dev_api_key(tmp_path) == first and len(first) >= 24
    assert (tmp_path / "dev-api-key").stat().st_mode & 0o077 == 0, "readable by its owner only"
