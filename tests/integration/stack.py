"""The whole system in one test process: real broker, handler, gateway, SQLite files.

Each stack gets its own topic, so tests never see each other's events.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from infra.kafka.launcher import free_port
from services.gateway.app import create_app as create_gateway
from services.gateway.server import GatewayRunner
from services.gateway.settings import GatewaySettings
from services.handler.app import create_app as create_handler
from services.handler.settings import HandlerSettings
from services.kafka_settings import KafkaSettings

API_KEY = "test-key-tenant-a"
OTHER_KEY = "test-key-tenant-b"
SECOND_KEY = "test-key-tenant-a-second"
ADMIN_KEY = "test-admin-key"
TERMINAL = {"succeeded", "failed", "cancelled"}


@dataclass
class SseEvent:
    event: str
    data: Any
    id: str | None


@dataclass
class Stack:
    base_url: str
    http: aiohttp.ClientSession
    gateway_settings: GatewaySettings
    handler_settings: HandlerSettings
    handlers: list[Any] = field(default_factory=list)

    def headers(self, key: str = API_KEY) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    async def trigger(
        self, pipeline_id: str, data_inputs: dict[str, Any] | None = None, key: str = API_KEY
    ) -> dict[str, Any]:
        body = {"input": {"dataInputs": data_inputs or {}}}
        async with self.http.post(
            f"{self.base_url}/pipelines/{pipeline_id}/trigger", json=body, headers=self.headers(key)
        ) as resp:
            assert resp.status == 201, await resp.text()
            return await resp.json()

    async def upload(
        self, name: str, content: bytes, content_type: str = "text/plain", key: str = API_KEY
    ) -> tuple[int, dict[str, Any]]:
        form = aiohttp.FormData()
        form.add_field("file", content, filename=name, content_type=content_type)
        async with self.http.post(f"{self.base_url}/files", data=form, headers=self.headers(key)) as resp:
            return resp.status, await resp.json()

    async def post(self, path: str, body: Any, key: str = API_KEY) -> tuple[int, dict[str, Any]]:
        async with self.http.post(self.base_url + path, json=body, headers=self.headers(key)) as resp:
            return resp.status, await resp.json()

    async def get(self, execution_id: str, key: str = API_KEY) -> tuple[int, dict[str, Any]]:
        async with self.http.get(
            f"{self.base_url}/pipeline-executions/{execution_id}", headers=self.headers(key)
        ) as resp:
            return resp.status, await resp.json()

    async def wait_terminal(self, execution_id: str, timeout: float = 90.0) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                status, body = await self.get(execution_id)
                assert status == 200, body
                if body["status"] in TERMINAL:
                    return body
                await asyncio.sleep(0.05)

    async def sse(
        self, execution_id: str, headers: dict[str, str] | None = None, timeout: float = 60.0
    ) -> list[SseEvent]:
        """Read one stream until the server closes it."""
        return await self.read_sse(f"/pipeline-executions/{execution_id}/stream", headers, timeout)

    async def read_sse(self, path: str, headers: dict[str, str] | None = None, timeout: float = 60.0) -> list[SseEvent]:
        events: list[SseEvent] = []
        url = self.base_url + path
        async with asyncio.timeout(timeout), self.http.get(url, headers={**self.headers(), **(headers or {})}) as resp:
            assert resp.status == 200, await resp.text()
            assert resp.headers["Content-Type"].startswith("text/event-stream")
            fields: dict[str, str] = {}
            async for raw in resp.content:
                line = raw.decode().rstrip("\n")
                if line:
                    name, _, value = line.partition(": ")
                    fields[name] = value
                    continue
                if "event" in fields:
                    events.append(SseEvent(fields["event"], json.loads(fields["data"]), fields.get("id")))
                fields = {}
        return events


def stack_settings(
    kafka_servers: str, data_dir: Path, **handler_overrides: Any
) -> tuple[GatewaySettings, HandlerSettings]:
    kafka = KafkaSettings(bootstrap_servers=kafka_servers, events_topic=f"events-{uuid.uuid4().hex[:10]}", partitions=4)
    gateway = GatewaySettings(
        kafka=kafka,
        data_dir=data_dir,
        api_keys={API_KEY: "tnt_a", SECOND_KEY: "tnt_a", OTHER_KEY: "tnt_b"},
        port=free_port(),
        ping_interval_s=0.5,
        read_your_writes_timeout_s=30,  # generous: CI's two cores may be busy
        admin_api_key=ADMIN_KEY,
        max_body_bytes=64 * 1024,
    )
    # A group per stack: tests sharing one group would wait on each other's rebalances.
    group = f"handler-{kafka.events_topic}"
    handler = HandlerSettings(
        kafka=kafka, instance_id="handler-a", consumer_group=group, **{"step_delay_s": 0.2, **handler_overrides}
    )
    return gateway, handler


@asynccontextmanager
async def running_gateway(settings: GatewaySettings) -> AsyncIterator[None]:
    runner = GatewayRunner(create_gateway(settings), settings)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    try:
        yield
    finally:
        await runner.cleanup()


@asynccontextmanager
async def running_stack(
    kafka_servers: str, data_dir: Path, gateway_overrides: dict[str, Any] | None = None, **handler_overrides: Any
) -> AsyncIterator[Stack]:
    gateway_settings, handler_settings = stack_settings(kafka_servers, data_dir, **handler_overrides)
    gateway_settings = replace(gateway_settings, **(gateway_overrides or {}))
    handler = create_handler(handler_settings)
    async with handler, running_gateway(gateway_settings), aiohttp.ClientSession() as http:
        stack = Stack(
            f"http://{gateway_settings.host}:{gateway_settings.port}",
            http,
            gateway_settings,
            handler_settings,
            [handler],
        )
        yield stack


def with_handler_instance(settings: HandlerSettings, instance_id: str) -> HandlerSettings:
    return replace(settings, instance_id=instance_id)
