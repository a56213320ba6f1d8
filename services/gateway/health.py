"""Liveness and readiness, without authentication."""

from __future__ import annotations

from aiohttp import web

from services.gateway import keys


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


BROKER_PROBE_S = 2.0


async def readyz(request: web.Request) -> web.Response:
    """Ready: the projection runs, has caught up, and the broker answers now (commands need it).

    Also reports the records the projection skipped, for an operator to look into."""
    runner = request.app[keys.RUNNER]
    checks = {
        "projection_running": runner.running,
        "projection_caught_up": runner.caught_up,
        "broker_reachable": await runner.log_reachable(BROKER_PROBE_S),
    }
    ready = all(checks.values())
    body = {"status": "ready" if ready else "not_ready", "checks": checks, "skippedRecords": runner.quarantine.to_api()}
    return web.json_response(body, status=200 if ready else 503)


def setup(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
