"""The web UI, served by the gateway itself: server-rendered pages over the same read model and
commands as the JSON API, a little vanilla JS for live updates, no build step, no CDN."""

from __future__ import annotations

from aiohttp import web

from services.gateway.web import pages_auth, pages_execution, pages_history, pages_pipelines, pages_v1, static


def setup(app: web.Application) -> None:
    for module in (pages_auth, pages_pipelines, pages_history, pages_execution, pages_v1, static):
        module.setup(app)
