"""The served OpenAPI document is true to the gateway: every route, and schemathesis finds no lie."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

from services.gateway.app import create_app
from tests.integration.stack import API_KEY, Stack

SCHEMATHESIS_CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


async def test_the_document_lists_every_route_and_nothing_else(stack: Stack) -> None:
    async with stack.http.get(f"{stack.base_url}/openapi.json") as resp:
        assert resp.status == 200
        document = await resp.json()
    documented = {(method.upper(), _shape(path)) for path, ops in document["paths"].items() for method in ops}
    app = create_app(stack.gateway_settings)
    served = {
        (route.method, _shape(route.resource.canonical))
        for route in app.router.routes()
        if route.method != "HEAD" and route.resource is not None
    }
    assert documented == served
    async with stack.http.get(f"{stack.base_url}/docs") as resp:
        assert resp.status == 200 and "/v1/generate" in await resp.text()


async def test_schemathesis_finds_no_server_error_and_no_undocumented_response(stack: Stack, tmp_path: Path) -> None:
    schemathesis = Path(sys.executable).with_name("schemathesis")
    process = await asyncio.create_subprocess_exec(
        str(schemathesis), "run", f"{stack.base_url}/openapi.json",
        "--header", f"Authorization: Bearer {API_KEY}",
        "--checks", SCHEMATHESIS_CHECKS,
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", "60",
        "--request-timeout", "10",
        "--seed", "7",
        # The change feed waits by design (its stream up to SSE_MAX_CONNECTION_S, a long poll up to
        # 30 s): calls would run out the request timeout. tests/integration/test_feed.py covers both.
        "--exclude-path-regex", "^/events",
        "--report-dir", str(tmp_path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), timeout=600)
    assert process.returncode == 0, output.decode()[-6000:]
