"""Tenants and keys through the admin API and the command line, folded by every gateway."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

from infra.kafka.launcher import free_port
from tests.integration.stack import ADMIN_KEY, API_KEY, Stack, running_gateway


async def admin(stack: Stack, method: str, path: str, body: dict | None = None, key: str = ADMIN_KEY) -> tuple:
    headers = {"Authorization": f"Bearer {key}"}
    async with stack.http.request(method, stack.base_url + path, json=body, headers=headers) as resp:
        return resp.status, (await resp.json() if resp.content_type == "application/json" else None)


async def test_a_tenant_created_by_the_admin_can_work_at_once(stack: Stack) -> None:
    status, tenant = await admin(stack, "POST", "/admin/tenants", {"name": "Acme"})
    assert status == 201
    key = tenant["apiKey"]["key"]
    created = await stack.trigger("pl_no_op", key=key)
    assert created["createdBy"] == f"{tenant['tenantId']}/{tenant['apiKey']['keyId']}"
    assert (await stack.get(created["executionId"], key=API_KEY))[0] == 404, "tenants see only their own"

    status, second = await admin(stack, "POST", f"/admin/tenants/{tenant['tenantId']}/keys")
    assert status == 201 and second["key"] != key
    assert (await stack.get(created["executionId"], key=second["key"]))[0] == 200, "same tenant, other key"

    assert (await admin(stack, "DELETE", f"/admin/keys/{tenant['apiKey']['keyId']}"))[0] == 204
    status, body = await stack.get(created["executionId"], key=key)
    assert (status, body["error"]) == (401, "Unauthorized")
    assert (await admin(stack, "DELETE", f"/admin/keys/{tenant['apiKey']['keyId']}"))[0] == 404


async def test_the_admin_api_needs_the_admin_key(stack: Stack) -> None:
    assert (await admin(stack, "POST", "/admin/tenants", {"name": "x"}, key=API_KEY))[0] == 401
    assert (await admin(stack, "POST", "/admin/tenants", {"name": ""}))[0] == 422
    assert (await admin(stack, "POST", "/admin/tenants/tnt_nope/keys"))[0] == 404
    off = replace(stack.gateway_settings, admin_api_key=None, instance_id="gateway-off", port=free_port())
    async with running_gateway(off):
        other = replace(stack, base_url=f"http://{off.host}:{off.port}")
        status, body = await admin(other, "POST", "/admin/tenants", {"name": "x"})
    assert (status, body["error"]) == (404, "NotFound")


async def test_keys_made_on_the_command_line_work_on_a_running_gateway(stack: Stack) -> None:
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": stack.gateway_settings.kafka.bootstrap_servers,
           "EVENTS_TOPIC": stack.gateway_settings.kafka.events_topic}  # fmt: skip
    cli = Path(sys.executable).with_name("executions")
    process = await asyncio.create_subprocess_exec(
        str(cli), "tenants", "create", "From the CLI", env=env, stdout=asyncio.subprocess.PIPE
    )
    output, _ = await process.communicate()
    assert process.returncode == 0
    made = json.loads(output)
    async with asyncio.timeout(30):
        while True:  # the gateway follows the tenancy topic: the key works as soon as it is folded
            async with stack.http.get(
                f"{stack.base_url}/pipelines", headers={"Authorization": f"Bearer {made['key']}"}
            ) as resp:
                if resp.status == 200:
                    break
            await asyncio.sleep(0.1)
    process = await asyncio.create_subprocess_exec(
        str(cli), "keys", "issue", "tnt_missing", env=env, stderr=asyncio.subprocess.PIPE
    )
    _, error = await process.communicate()
    assert process.returncode == 1 and b"no tenant" in error
