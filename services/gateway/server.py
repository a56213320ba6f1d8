"""Serving the gateway app: timeouts for slow clients, and JSON even for requests aiohttp cannot parse.

aiohttp answers a request it cannot parse (a header over its limits, a bad request line)
before any middleware runs, as plain text with a logged traceback. The handler below
answers those as JSON too, and logs one line per cause at most once a minute.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from services.gateway.access_log import access_logger_class
from services.gateway.errors import ApiError, error_response
from services.gateway.settings import GatewaySettings
from services.log_setup import service_lines

log = logging.getLogger(__name__)

LOG_EVERY_S = 60.0


class _JsonErrorHandler(RequestHandler):
    def __init__(self, server: _JsonErrorServer, **kwargs: Any) -> None:
        super().__init__(server, **kwargs)
        self._logged_at = server.logged_at

    def handle_error(
        self, request: BaseRequest, status: int = 500, exc: BaseException | None = None, message: str | None = None
    ) -> web.StreamResponse:
        cause = type(exc).__name__ if exc is not None else str(status)
        now = time.monotonic()
        if now - self._logged_at.get(cause, -LOG_EVERY_S) >= LOG_EVERY_S:
            self._logged_at[cause] = now
            log.info("unparseable request from %s: %s (%s)", request.remote, cause, message or exc)
        if request.writer.output_size > 0:
            raise ConnectionError("response already started; cannot send an error")
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
        code = "BadRequest" if status == 400 else ("InternalError" if status >= 500 else phrase.replace(" ", ""))
        text = (message or phrase) if status < 500 else "Unexpected server error; it has been logged."
        response = error_response(ApiError(status, code, f"The request could not be read: {text}"))
        response.force_close()
        return response


class _JsonErrorServer(web.Server):
    logged_at: dict[str, float]
    """When each cause of an unparseable request was last logged."""

    def __call__(self) -> RequestHandler:
        return _JsonErrorHandler(self, loop=self._loop, **self._kwargs)


class GatewayRunner(web.AppRunner):
    """An AppRunner whose connections answer unparseable requests as JSON and close idle ones."""

    def __init__(self, app: web.Application, settings: GatewaySettings, **kwargs: Any) -> None:
        # keepalive_timeout also runs from the moment a connection opens: a client that sends no
        # complete request line and headers within it (a slow, partial request) is dropped.
        # lingering_time: after answering early (a 408, a 413) aiohttp reads what is left of the body
        # before it closes, 10 s by default; a slow sender would hold the connection that long again.
        self._access_lines = service_lines("gateway")
        super().__init__(app, keepalive_timeout=settings.idle_timeout_s, lingering_time=1.0,
                         access_log_class=access_logger_class(self._access_lines), **kwargs)  # fmt: skip

    async def cleanup(self) -> None:
        await super().cleanup()
        self._access_lines.flush()

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = _JsonErrorServer  # same state, another handler class per connection
        assert isinstance(server, _JsonErrorServer)
        server.logged_at = {}
        return server


async def serve(app: web.Application, settings: GatewaySettings) -> None:
    """Serve until SIGINT or SIGTERM, then shut down cleanly."""
    runner = GatewayRunner(app, settings)
    await runner.setup()
    await web.TCPSite(runner, settings.host, settings.port).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
