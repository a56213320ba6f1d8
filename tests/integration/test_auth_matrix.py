"""Every route of the OpenAPI document, with no key, a wrong key and a revoked key: a JSON 401,
before anything is read or recorded. (Another tenant's key: tests/integration/test_isolation.py.)"""

from __future__ import annotations

import asyncio
import re

from tests.integration.stack import ADMIN_KEY, Stack

PUBLIC = {"/healthz", "/readyz", "/openapi.json", "/docs"}


async def revoked_key(stack: Stack) -> str:
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    async with stack.http.post(f"{stack.base_url}/admin/tenants", json={"name": "Gone"}, headers=admin) as resp:
        issued = (await resp.json())["apiKey"]
    async with stack.http.delete(f"{stack.base_url}/admin/keys/{issued['keyId']}", headers=admin) as resp:
        assert resp.status == 204
    return str(issued["key"])


async def test_every_route_refuses_a_missing_wrong_or_revoked_key(stack: Stack) -> None:
    async with stack.http.get(f"{stack.base_url}/openapi.json") as resp:
        paths = (await resp.json())["paths"]
    routes = [
        (method.upper(), re.sub(r"\{[^}]+\}", "some-id", path))
        for path, operations in paths.items()
        if path not in PUBLIC and not path.startswith("/admin/")
        for method, operation in operations.items()
        if operation.get("security") != []  # the web UI's pages: a visitor is sent to sign in instead
    ]
    assert len(routes) >= 15, routes
    revoked = await revoked_key(stack)
    credentials = {"no key": {}, "wrong key": {"Authorization": "Bearer not-a-key"},
                   "revoked key": {"Authorization": f"Bearer {revoked}"}}  # fmt: skip

    async def attempt(method: str, path: str, who: str) -> tuple[str, str, str, int, str]:
        async with stack.http.request(method, stack.base_url + path, json={}, headers=credentials[who]) as resp:
            return who, method, path, resp.status, resp.content_type

    answers = await asyncio.gather(*(attempt(m, p, who) for m, p in routes for who in credentials))
    wrong = [a for a in answers if a[3:] != (401, "application/json")]
    assert wrong == [], wrong
    async with stack.http.get(f"{stack.base_url}/pipeline-executions", headers=stack.headers()) as resp:
        assert (await resp.json())["total"] == 0, "nothing was created by any of them"
