"""The gateway's access lines look like every other log line and join the service's batch of them."""

from __future__ import annotations

import asyncio
import io
import re

import aiohttp
from aiohttp import web

from infra.kafka.launcher import free_port
from services.gateway.access_log import access_logger_class
from services.log_setup import BatchedStreamHandler


async def test_a_request_line_has_the_services_format_and_its_fields() -> None:
    stream = io.StringIO()
    lines = BatchedStreamHandler(stream, "gateway")

    async def created(request: web.Request) -> web.Response:
        return web.json_response({}, status=201, headers={"Location": "/things/1"})

    app = web.Application()
    app.router.add_post("/things", created)
    runner = web.AppRunner(app, access_log_class=access_logger_class(lines))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        url, headers = f"http://127.0.0.1:{port}/things", {"X-Correlation-ID": "corr-7"}
        async with aiohttp.ClientSession() as http, http.post(url, headers=headers) as resp:
            assert resp.status == 201
        await asyncio.sleep(BatchedStreamHandler.FLUSH_AFTER_S + 0.1)
    finally:
        await runner.cleanup()
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} gateway INFO aiohttp\.access: method=POST path=/things status=201 "
        r"ms=\d+\.\d tenant=- correlation=corr-7 location=/things/1\n",
        stream.getvalue(),
    ), stream.getvalue()
