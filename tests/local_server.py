"""Serving a small aiohttp app on a free loopback port, for stand-ins of outside services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from infra.kafka.launcher import free_port


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """Yield the app's base URL while it serves."""
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
