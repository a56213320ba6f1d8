"""Liveness and readiness, without authentication."""

from __future__ import annotations

from aiohttp import web

from services.gateway import keys


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    runner = request.app[keys.RUNNER]
    checks = {"projection_running": runner.running, "projection_caught_up": runner.caught_up}
    ready = all(checks.values())
    return web.json_response(
        {"status": "ready" if ready else "not_ready", "checks": checks}, status=200 if ready else 503
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
