"""Rate limit per key and monthly quota per tenant, both counted from the log."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from infra.kafka.launcher import free_port
from services.gateway.limits import Limits
from tests.integration.stack import API_KEY, OTHER_KEY, SECOND_KEY, Stack, running_gateway, running_stack


async def trigger(stack: Stack, key: str, idempotency_key: str | None = None) -> tuple[int, dict, dict]:
    headers = stack.headers(key) | ({"Idempotency-Key": idempotency_key} if idempotency_key else {})
    async with stack.http.post(f"{stack.base_url}/pipelines/pl_no_op/trigger", json={}, headers=headers) as resp:
        return resp.status, await resp.json(), dict(resp.headers)


async def test_each_key_has_its_own_per_minute_limit(kafka_servers: str, tmp_path: Path) -> None:
    limits = Limits(per_key_per_minute=3, monthly_executions=100)
    async with running_stack(kafka_servers, tmp_path, gateway_overrides={"limits": limits}) as stack:
        assert [(await trigger(stack, API_KEY, "same"))[0] for _ in range(2)] == [201, 200]
        assert [(await trigger(stack, API_KEY))[0] for _ in range(2)] == [201, 201]
        status, body, headers = await trigger(stack, API_KEY)
        assert (status, body["error"]) == (429, "RateLimitExceeded")
        assert 1 <= int(headers["Retry-After"]) <= 60
        assert (await trigger(stack, API_KEY, "same"))[0] == 200, "a replay creates nothing, so it is not limited"
        assert (await trigger(stack, SECOND_KEY))[0] == 201, "another key of the same tenant has its own limit"
        async with stack.http.post(
            f"{stack.base_url}/v1/generate", json={"input": "45.77.12.9"}, headers=stack.headers(API_KEY)
        ) as resp:
            assert resp.status == 429 and (await resp.json())["error"] == "RateLimitExceeded"


async def test_the_monthly_quota_is_per_tenant_and_every_replica_agrees(kafka_servers: str, tmp_path: Path) -> None:
    limits = Limits(per_key_per_minute=100, monthly_executions=4)
    async with running_stack(kafka_servers, tmp_path, gateway_overrides={"limits": limits}) as stack:
        statuses = [(await trigger(stack, key))[0] for key in (API_KEY, SECOND_KEY, API_KEY, SECOND_KEY)]
        assert statuses == [201] * 4
        status, body, _ = await trigger(stack, SECOND_KEY)
        assert (status, body["error"]) == (429, "TierLimitExceeded")
        assert (await trigger(stack, OTHER_KEY))[0] == 201, "another tenant has its own quota"

        # A second replica, with its own empty read model, folds the same count from the log.
        replica = replace(stack.gateway_settings, instance_id="gateway-2", port=free_port())
        async with running_gateway(replica):
            other = replace(stack, base_url=f"http://{replica.host}:{replica.port}")
            status, body, _ = await trigger(other, API_KEY)
        assert (status, body["error"]) == (429, "TierLimitExceeded")
