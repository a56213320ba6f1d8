"""Python steps a tenant writes: refused unless the operator allows them, and then run behind the sandbox's boundary."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.stack import Stack, running_stack

ALLOWED = {"allow_tenant_code_steps": True}


def pipeline(code: str, *inputs: tuple[str, str]) -> dict[str, Any]:
    return {
        "name": "Tenant code",
        "handlerType": "code_agent_language_model",
        "inputsSchema": {
            "dataInputs": [
                {"id": name, "label": name, "required": True, "schema": {"type": kind}} for name, kind in inputs
            ]
        },
        "configuration": {"steps": [{"name": "tenant step", "code": code}]},
    }


COUNT_WORDS = pipeline("result = len(inputs['text'].split())", ("text", "string"))
# The audit hook is Python in the step's own process: a hostile step disarms it first.
PROBE_THE_SERVICE = pipeline(
    """
import os, socket, sys
sys.modules['__main__'].BLOCKED_EVENTS = ()
seen = {"environ": dict(os.environ)}
for name, path in [("handler environ", f"/proc/{inputs['pid']}/environ"), ("gateway db", inputs['db'])]:
    try:
        seen[name] = open(path, "rb").read().decode(errors="replace")
    except OSError as error:
        seen[name] = type(error).__name__
try:
    socket.create_connection(("127.0.0.1", inputs["port"]), timeout=2)
    seen["gateway port"] = "connected"
except OSError as error:
    seen["gateway port"] = str(error)
result = seen
""",
    ("pid", "integer"),
    ("db", "string"),
    ("port", "integer"),
)


async def create(stack: Stack, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return await stack.post("/pipelines", body)


async def run(stack: Stack, body: dict[str, Any], data_inputs: dict[str, Any]) -> dict[str, Any]:
    status, created = await create(stack, body)
    assert status == 201, created
    execution = await stack.trigger(created["pipelineId"], data_inputs)
    return await stack.wait_terminal(execution["executionId"])


async def test_by_default_tenant_steps_are_refused_and_the_catalogs_still_run(stack: Stack) -> None:
    status, body = await create(stack, COUNT_WORDS)
    assert (status, body["error"]) == (422, "TenantCodeStepsDisabled"), body
    assert "disabled by the operator" in body["message"] and "ALLOW_TENANT_CODE_STEPS" in body["message"]
    assert [d["field"] for d in body["details"]] == ["configuration.steps"]
    assert (await create(stack, {"name": "No code", "handlerType": "no_op"}))[0] == 201

    built_in = await stack.trigger("pl_code_agent", {"query": "still counts words"})
    final = await stack.wait_terminal(built_in["executionId"])
    assert (final["status"], final["output"]["result"]["words"]) == ("succeeded", 3), final["errorMessage"]


async def test_the_handler_refuses_tenant_steps_its_operator_did_not_allow(kafka_servers: str, tmp_path: Path) -> None:
    async with running_stack(kafka_servers, tmp_path, gateway_overrides=ALLOWED) as stack:
        final = await run(stack, COUNT_WORDS, {"text": "one two three"})
    assert final["status"] == "failed" and final["output"] is None
    assert "tenant-authored code steps are disabled by the operator" in final["errorMessage"]
    assert "ALLOW_TENANT_CODE_STEPS" in final["errorMessage"]


@pytest.fixture
async def allowed(kafka_servers: str, tmp_path: Path) -> AsyncIterator[Stack]:
    async with running_stack(kafka_servers, tmp_path, gateway_overrides=ALLOWED, **ALLOWED) as running:
        yield running


async def test_allowed_tenant_steps_compute_but_cannot_reach_the_service(
    allowed: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = f"secret-{uuid.uuid4().hex}"
    monkeypatch.setenv("TENANT_CODE_TEST_SECRET", secret)
    counted = await run(allowed, COUNT_WORDS, {"text": "one two three"})
    assert (counted["status"], counted["output"]) == ("succeeded", {"result": 3}), counted["errorMessage"]

    db = allowed.gateway_settings.db_path
    assert db.exists()
    probed = await run(
        allowed, PROBE_THE_SERVICE, {"pid": os.getpid(), "db": str(db), "port": allowed.gateway_settings.port}
    )
    assert probed["status"] == "succeeded", probed["errorMessage"]
    seen = probed["output"]["result"]
    assert seen["handler environ"] == seen["gateway db"] == "FileNotFoundError"
    assert "Network is unreachable" in seen["gateway port"]
    assert "TENANT_CODE_TEST_SECRET" not in seen["environ"] and secret not in str(seen)
