"""A failed create never hides a created execution, and overload is not "broker unavailable".

Clients trigger under a steady load, each attempt with its own Idempotency-Key, and do what
each answer tells them: a 503 OutcomeUnknown is retried with the key it returns until it is
settled. Once the broker is back every key is asked again: a key whose first answer said
"nothing was recorded" must not turn out to have created an execution, and no key ever names
two executions.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from infra.kafka.launcher import LocalBroker
from services.gateway.limits import Limits
from tests.integration.stack import API_KEY, running_gateway, running_stack, stack_settings

pytestmark = pytest.mark.integration

DEFINITELY_NOT_RECORDED = {"BrokerUnavailable", "Overloaded", "NotReady"}
UNLIMITED = Limits(per_key_per_minute=10**9, monthly_executions=10**9)
TRIGGER = "/pipelines/pl_no_op/trigger"


@dataclass
class Ledger:
    """Every attempt's key and what its first answer said."""

    first_answers: dict[str, str] = field(default_factory=dict)

    def count(self) -> Counter[str]:
        return Counter(self.first_answers.values())


async def attempt(http: aiohttp.ClientSession, base: str, key: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    headers = {"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": key}
    async with http.post(base + TRIGGER, json={"input": {}}, headers=headers) as resp:
        return resp.status, await resp.json(), dict(resp.headers)


def answer_of(status: int, body: dict[str, Any]) -> str:
    return "created" if status in (200, 201) else body["error"]


async def clients(base: str, count: int, seconds: float, ledger: Ledger) -> None:
    async with aiohttp.ClientSession() as http:

        async def client() -> None:
            loop = asyncio.get_running_loop()
            ends = loop.time() + seconds
            while loop.time() < ends:
                key = f"load-{uuid.uuid4().hex}"
                status, body, headers = await attempt(http, base, key)
                ledger.first_answers[key] = answer_of(status, body)
                if status == 503:
                    assert "Retry-After" in headers, body
                    if body["error"] == "OutcomeUnknown":
                        assert headers["Idempotency-Key"] == key == body["idempotencyKey"], body
                        assert body["executionId"], body
                await asyncio.sleep(0.05)

        await asyncio.gather(*(client() for _ in range(count)))


async def settle_every_key(base: str, ledger: Ledger) -> Counter[str]:
    """Ask again with each key, as a client told "unknown" would: replayed (it existed) or created now."""
    outcomes: Counter[str] = Counter()
    ids: dict[str, str] = {}
    async with aiohttp.ClientSession() as http:
        for key, first in ledger.first_answers.items():
            async with asyncio.timeout(60):
                while True:
                    status, body, _ = await attempt(http, base, key)
                    if status in (200, 201):
                        break
                    assert status == 503, body
                    await asyncio.sleep(0.5)
            existed = status == 200
            if first in DEFINITELY_NOT_RECORDED:
                assert not existed, f"{key}: answered {first}, yet it had been created"
            if first == "created":
                assert existed, f"{key}: answered created, yet not found"
            outcomes[f"{first}: {'existed' if existed else 'created on retry'}"] += 1
            ids[key] = body["executionId"]
    assert len(set(ids.values())) == len(ids), "one execution per key"
    return outcomes


async def total_executions(base: str) -> int:
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bearer {API_KEY}"}
        async with http.get(base + "/pipeline-executions?pageSize=1", headers=headers) as resp:
            return int((await resp.json())["total"])


async def test_broker_stopped_mid_load_hides_no_creation(tmp_path: Path) -> None:
    broker = LocalBroker(tmp_path / "kafka")
    await asyncio.to_thread(broker.start)
    try:
        gateway, _ = stack_settings(broker.bootstrap_servers, tmp_path)
        gateway = replace(gateway, kafka=replace(gateway.kafka, send_timeout_s=2.0), limits=UNLIMITED)
        base = f"http://{gateway.host}:{gateway.port}"
        ledger = Ledger()
        async with running_gateway(gateway):
            load = asyncio.create_task(clients(base, count=10, seconds=20, ledger=ledger))
            await asyncio.sleep(4)
            await asyncio.to_thread(broker.stop)
            await asyncio.sleep(8)  # well past the send deadline
            await asyncio.to_thread(broker.start)  # same data dir, same port
            await load
            outcomes = await settle_every_key(base, ledger)
            total = await total_executions(base)
        print("first answers:", dict(ledger.count()), "| settled:", dict(outcomes))
        assert ledger.count()["created"] > 0 and ledger.count()["OutcomeUnknown"] > 0, ledger.count()
        assert total == len(ledger.first_answers), "exactly one execution per key, none twice"
    finally:
        await asyncio.to_thread(broker.stop)


async def test_saturated_gateway_sheds_load_without_claiming_the_broker_is_away(
    kafka_servers: str, tmp_path: Path
) -> None:
    overrides = {"max_appends_in_flight": 4, "append_slot_wait_s": 0.01, "limits": UNLIMITED}
    async with running_stack(kafka_servers, tmp_path, gateway_overrides=overrides) as stack:
        ledger = Ledger()
        await clients(stack.base_url, count=60, seconds=4, ledger=ledger)
        answers = ledger.count()
        print("first answers under saturation:", dict(answers))
        assert answers["Overloaded"] > 0, answers
        assert answers["BrokerUnavailable"] == 0 and answers["OutcomeUnknown"] == 0, answers
        await settle_every_key(stack.base_url, ledger)
        assert await total_executions(stack.base_url) == len(ledger.first_answers)
