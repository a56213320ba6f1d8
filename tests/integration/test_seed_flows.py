"""The reference documents' own flows, run against the stack `make run` starts (services.devstack).

curl for trigger, get, list, stream and cancel as the document writes them; the document's
JavaScript polling loop under Node; its Python /v1 loop. Only base URL and key differ.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.devstack import devstack_processes
from tests.seeds import v1_polling

SEEDS = Path(__file__).parent.parent / "seeds"
KEY = "seed-flow-key"


@pytest.fixture
async def devstack(kafka_servers: str, tmp_path: Path) -> AsyncIterator[str]:
    async with devstack_processes(kafka_servers, tmp_path, KEY, DEMO_STEP_DELAY_S="0.3") as base:
        yield base


async def curl(*args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        shutil.which("curl") or "curl", "-s", *args, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    assert process.returncode == 0
    return out.decode()


async def test_the_reference_curl_and_polling_flows_work_against_make_runs_stack(devstack: str) -> None:
    auth = f"Authorization: Bearer {KEY}"
    created = json.loads(await curl(
        "-X", "POST", f"{devstack}/pipelines/pl_document_summarizer/trigger", "-H", auth,
        "-H", "Content-Type: application/json",
        "-d", '{"input": {"dataInputs": {"query": "What are the key trends in Q4 sales?"}}}',
    ))  # fmt: skip
    execution_id = created["executionId"]
    assert created["status"] == "pending"

    node = await asyncio.create_subprocess_exec(
        shutil.which("node") or "node", str(SEEDS / "wait_for_execution.mjs"), execution_id,
        env={**os.environ, "BASE_URL": devstack, "API_TOKEN": KEY}, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await node.communicate()
    lines = out.decode().splitlines()
    assert node.returncode == 0, lines
    assert json.loads(lines[-1])["output"]["keyPoints"]

    stream = await curl("-N", f"{devstack}/pipeline-executions/{execution_id}/stream", "-H", auth,
                        "-H", "Accept: text/event-stream")  # fmt: skip
    assert "event: execution-state" in stream and stream.rstrip().endswith('"status":"succeeded"}')
    listing = json.loads(await curl(f"{devstack}/pipeline-executions?pipelineId=pl_document_summarizer&status=failed",
                                    "-H", auth))  # fmt: skip
    assert listing["total"] == 0
    cancel = await curl("-w", "%{http_code}", "-X", "POST", f"{devstack}/pipeline-executions/{execution_id}/cancel",
                        "-H", auth)  # fmt: skip
    assert cancel.endswith("409")


async def test_cancelling_a_running_execution_with_the_reference_curl(devstack: str) -> None:
    auth = f"Authorization: Bearer {KEY}"
    created = json.loads(await curl(
        "-X", "POST", f"{devstack}/pipelines/pl_code_agent/trigger", "-H", auth,
        "-d", '{"input": {"dataInputs": {"query": "cancel me"}}}',
    ))  # fmt: skip
    await asyncio.sleep(0.5)
    cancelled = json.loads(await curl("-X", "POST", f"{devstack}/pipeline-executions/{created['executionId']}/cancel",
                                      "-H", auth))  # fmt: skip
    assert cancelled["status"] == "cancelled"


async def test_the_reference_v1_python_loop_works_against_make_runs_stack(devstack: str) -> None:
    body = '{"input": "C2 at 45.77.12.9 via T1071.001", "inputType": "text"}'
    generated = json.loads(await curl(
        "-X", "POST", f"{devstack}/v1/generate", "-H", f"Authorization: Bearer {KEY}",
        "-H", "Content-Type: application/json", "-d", body,
    ))  # fmt: skip
    v1_polling.BASE_URL = devstack
    output = await asyncio.to_thread(v1_polling.wait_for_result, generated["data"]["executionArn"], KEY)
    assert output["ttps"] == ["T1071.001"] and output["rulesGenerated"] == 1


def readme_block(heading: str) -> str:
    """The first sh block under `heading` in the README, as written there."""
    text = (Path(__file__).parents[2] / "README.md").read_text()
    section = text.split(f"\n{heading}\n", 1)[1]
    return section.split("```sh\n", 1)[1].split("```", 1)[0]


def json_documents(text: str) -> list[Any]:
    """JSON values written one after another (curl adds no newline between them)."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while text[at:].strip():
        at += len(text[at:]) - len(text[at:].lstrip())
        value, at = decoder.raw_decode(text, at)
        found.append(value)
    return found


async def test_the_readmes_files_and_citations_block_runs_as_written(devstack: str) -> None:
    bash = await asyncio.create_subprocess_exec(
        shutil.which("bash") or "bash", "-euo", "pipefail", "-c", readme_block("### Files and citations"),
        env={**os.environ, "B": devstack, "KEY": KEY}, cwd=Path(__file__).parents[2], stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await bash.communicate()
    assert bash.returncode == 0, out
    uploaded, resolution = json_documents(out.decode())  # what the two commands that print wrote
    resolved = resolution["data"]
    assert (uploaded["fileName"], uploaded["pageCount"]) == ("q4-report.pdf", 3)
    sales = [r for r in resolved if r["citedText"] == "Q4 sales revenue grew 15 percent year over year."]
    assert [(r["fileName"], r["pageNumber"]) for r in sales] == [("q4-report.pdf", 2)], resolved
