"""Webhooks against a real broker: a local receiver that fails, then recovers.

Every delivery's signature is checked with standardwebhooks' own `Webhook.verify`; after the
receiver recovers (and the dispatcher was stopped and started again meanwhile) every lifecycle
event is there, in order per execution; a redelivery from a past time sends the later events
again; no tenant receives another's events; bad registrations are 422s that say what is wrong.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from standardwebhooks.webhooks import Webhook

from infra.kafka.launcher import free_port
from services.webhooks.backoff import Backoff
from services.webhooks.dispatcher import Dispatcher, create_dispatcher
from services.webhooks.settings import DispatcherSettings
from tests.integration.stack import OTHER_KEY, Stack, running_stack

ALL_TYPES = ["execution.created.v1", "execution.started.v1", "execution.progressed.v1", "execution.completed.v1"]


@dataclass
class Attempt:
    headers: dict[str, str]
    body: str
    answered: int


@dataclass
class Receiver:
    """Answers 500 while `failing`, else 200, and keeps every attempt."""

    port: int
    failing: bool = False
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def handle(self, request: web.Request) -> web.Response:
        status = 500 if self.failing else 200
        self.attempts.append(Attempt(dict(request.headers), await request.text(), status))
        return web.Response(status=status, text="down for maintenance" if status == 500 else "ok")

    def acknowledged(self) -> list[Attempt]:
        return [a for a in self.attempts if a.answered == 200]

    def events(self) -> list[dict[str, Any]]:
        """The acknowledged events, first acknowledgement of each `webhook-id` only, in arrival order."""
        seen: dict[str, dict[str, Any]] = {}
        for attempt in self.acknowledged():
            seen.setdefault(attempt.headers["webhook-id"], json.loads(attempt.body))
        return list(seen.values())


@pytest.fixture
async def receivers() -> AsyncIterator[Callable[[], Awaitable[Receiver]]]:
    runners: list[web.AppRunner] = []

    async def serve() -> Receiver:
        receiver = Receiver(free_port())
        app = web.Application()
        app.router.add_post("/hook", receiver.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", receiver.port).start()
        runners.append(runner)
        return receiver

    yield serve
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
async def local_stack(kafka_servers: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Stack]:
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE_TARGETS", "1")  # the receiver is on loopback
    async with running_stack(kafka_servers, tmp_path) as running:
        yield running


def dispatcher_for(stack: Stack) -> Dispatcher:
    settings = DispatcherSettings(
        kafka=stack.gateway_settings.kafka,
        data_dir=stack.gateway_settings.data_dir,  # where the gateway keeps the secrets key
        allow_private_targets=True,
        backoff=Backoff(base_s=0.05, cap_s=0.3),
        request_timeout_s=2.0,
        directory_poll_s=0.1,
    )
    return create_dispatcher(settings)


async def register(stack: Stack, url: str, key: str | None = None, types: list[str] = ALL_TYPES) -> dict[str, Any]:
    status, body = await stack.post("/webhooks", {"url": url, "eventTypes": types}, **({"key": key} if key else {}))
    assert status == 201, body
    return body


async def get_json(stack: Stack, path: str, key: str | None = None) -> tuple[int, dict[str, Any]]:
    headers = stack.headers(key) if key else stack.headers()
    async with stack.http.get(stack.base_url + path, headers=headers) as resp:
        return resp.status, await resp.json()


async def until(condition: Callable[[], bool], timeout: float = 60.0, what: str = "condition") -> None:
    try:
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"no {what} within {timeout:g} s") from None


async def reported(stack: Stack, hook_id: str, condition: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The deliveries status once the dispatcher's report (folded by the gateway) satisfies `condition`."""
    async with asyncio.timeout(30):
        while True:
            status, body = await get_json(stack, f"/webhooks/{hook_id}/deliveries")
            assert status == 200, body
            if body["reported"] and condition(body):
                return body
            await asyncio.sleep(0.1)


async def tenant_events(stack: Stack) -> list[dict[str, Any]]:
    _, page = await get_json(stack, "/events?limit=500")
    return [item["event"] for item in page["data"]]


def verify_all(receiver: Receiver, secret: str) -> None:
    signer = Webhook(secret)
    for attempt in receiver.attempts:
        assert signer.verify(attempt.body, attempt.headers) == json.loads(attempt.body)
    assert receiver.attempts, "nothing arrived to verify"


async def test_events_arrive_signed_in_order_after_failures_and_a_restart(
    local_stack: Stack, receivers: Callable[[], Awaitable[Receiver]]
) -> None:
    stack = local_stack
    mine, theirs = await receivers(), await receivers()
    mine.failing = True
    hook = await register(stack, mine.url)
    other_hook = await register(stack, theirs.url, key=OTHER_KEY)
    assert hook["secret"].startswith("whsec_")

    async with dispatcher_for(stack):
        executions = [await stack.trigger("pl_no_op") for _ in range(2)]
        other = await stack.trigger("pl_no_op", key=OTHER_KEY)
        await until(lambda: len(mine.attempts) >= 3, what="failed attempts")
        status = await reported(stack, hook["webhookId"], lambda s: s.get("consecutiveFailures", 0) >= 1)
    # Stopped while the receiver is failing: nothing was acknowledged.
    assert not mine.acknowledged()
    executions.append(await stack.trigger("pl_no_op"))  # appended while no dispatcher runs
    for execution in executions:
        await stack.wait_terminal(execution["executionId"])
    failed_ids = {a.headers["webhook-id"] for a in mine.attempts}

    mine.failing = False
    async with dispatcher_for(stack):
        expected = await tenant_events(stack)
        assert len(expected) == 9
        await until(lambda: len(mine.events()) >= len(expected), what="every event acknowledged")
        await until(lambda: len(theirs.events()) >= 3, what="the other tenant's events")
        await asyncio.sleep(0.5)  # room for anything that should not come
        after = await reported(stack, hook["webhookId"], lambda s: s.get("delivered", 0) >= 9)

    verify_all(mine, hook["secret"])
    verify_all(theirs, other_hook["secret"])
    received = mine.events()
    assert sorted(e["id"] for e in received) == sorted(e["id"] for e in expected), "nothing lost, nothing foreign"
    for execution in executions:
        sequences = [e["sequence"] for e in received if e["subject"] == execution["executionId"]]
        assert sequences == [1, 2, 3], "in log order per execution"
    assert {e["subject"] for e in theirs.events()} == {other["executionId"]}, "only its own tenant's events"
    assert failed_ids <= {a.headers["webhook-id"] for a in mine.acknowledged()}, "a retry carries the same id"
    assert len(failed_ids) == 1, "one event retried at a time: later ones waited behind it"
    assert status["reported"] and status["consecutiveFailures"] >= 1 and "HTTP 500" in status["lastError"]
    assert after["reported"] and after["consecutiveFailures"] == 0 and after["delivered"] >= 9
    assert after["lastError"] is None and after["cursor"]


async def test_a_redelivery_from_a_past_time_sends_the_later_events_again(
    local_stack: Stack, receivers: Callable[[], Awaitable[Receiver]]
) -> None:
    stack = local_stack
    receiver = await receivers()
    hook = await register(stack, receiver.url, types=["execution.created.v1", "execution.completed.v1"])
    async with dispatcher_for(stack):
        early = await stack.trigger("pl_document_summarizer", {"query": "Sales grew. Costs fell."})
        await stack.wait_terminal(early["executionId"])  # it reported progress too: not wanted here
        await until(lambda: len(receiver.events()) == 2, what="the early execution's events")
        await asyncio.sleep(0.2)
        since = datetime.now(UTC)
        await asyncio.sleep(0.2)
        late = await stack.trigger("pl_no_op")
        await until(lambda: len(receiver.events()) == 4, what="the late execution's events")
        first_round = list(receiver.acknowledged())

        status, accepted = await stack.post(f"/webhooks/{hook['webhookId']}/redeliver", {"from": since.isoformat()})
        assert status == 202, accepted
        await until(lambda: len(receiver.acknowledged()) == 6, what="the redelivered events")
        await asyncio.sleep(0.5)
        report = await reported(stack, hook["webhookId"], lambda s: s.get("redeliveryId") == accepted["requestId"])

    again = receiver.acknowledged()[len(first_round) :]
    assert len(again) == 2, "only what came after the point"
    assert {json.loads(a.body)["subject"] for a in again} == {late["executionId"]}
    assert [e["type"] for e in receiver.events()[:2]] == ["execution.created.v1", "execution.completed.v1"]
    assert all(e["subject"] == early["executionId"] for e in receiver.events()[:2])
    late_ids = [a.headers["webhook-id"] for a in first_round if json.loads(a.body)["subject"] == late["executionId"]]
    assert [a.headers["webhook-id"] for a in again] == late_ids, "the same ids: receivers can tell a repeat"
    assert [json.loads(a.body)["type"] for a in again] == ["execution.created.v1", "execution.completed.v1"]
    verify_all(receiver, hook["secret"])
    assert report["redeliveryId"] == accepted["requestId"] and not report["redeliveryPending"]


async def test_registrations_are_checked_and_webhooks_are_the_tenants_own(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    refusals = {
        "loopback": {"url": "http://127.0.0.1:9000/hook", "eventTypes": ALL_TYPES},
        "metadata": {"url": "https://169.254.169.254/latest", "eventTypes": ALL_TYPES},
        "types": {"url": "https://hooks.example.com/in", "eventTypes": ["execution.exploded.v1"]},
        "none": {"url": "https://hooks.example.com/in", "eventTypes": []},
        "missing": {"eventTypes": ALL_TYPES},
    }
    for name, body in refusals.items():
        status, answer = await stack.post("/webhooks", body)
        assert status == 422, (name, answer)
        assert answer["error"] == "InputValidationFailed" and answer["details"], (name, answer)
    _, loopback = await stack.post("/webhooks", refusals["loopback"])
    assert loopback["details"][0]["field"] == "url" and "https" in loopback["details"][0]["problem"]

    created = await register(stack, "https://hooks.example.com/in", types=["execution.completed.v1"])
    hook_id = created["webhookId"]
    status, listed = await get_json(stack, "/webhooks")
    assert [w["webhookId"] for w in listed["data"]] == [hook_id]
    assert "secret" not in listed["data"][0] and "secret" not in (await get_json(stack, f"/webhooks/{hook_id}"))[1]
    assert (await get_json(stack, f"/webhooks/{hook_id}", key=OTHER_KEY))[0] == 404
    assert (await get_json(stack, "/webhooks", key=OTHER_KEY))[1]["data"] == []
    status, report = await get_json(stack, f"/webhooks/{hook_id}/deliveries")
    assert status == 200 and report["reported"] is False

    status, bad_point = await stack.post(f"/webhooks/{hook_id}/redeliver", {"from": "last tuesday"})
    assert status == 422 and bad_point["details"][0]["field"] == "from"
    status, _ = await stack.post(f"/webhooks/{hook_id}/redeliver", {"from": "0:0"}, key=OTHER_KEY)
    assert status == 404
    async with stack.http.delete(f"{stack.base_url}/webhooks/{hook_id}", headers=stack.headers(OTHER_KEY)) as resp:
        assert resp.status == 404
    async with stack.http.delete(f"{stack.base_url}/webhooks/{hook_id}", headers=stack.headers()) as resp:
        assert resp.status == 204
    assert (await get_json(stack, f"/webhooks/{hook_id}"))[0] == 404
