"""The gateway's access lines: written in batches, soon, and looking like every other log line."""

from __future__ import annotations

import asyncio
import io
import re

import aiohttp
from aiohttp import web

from infra.kafka.launcher import free_port
from services.gateway.access_log import FLUSH_AFTER_S, FLUSH_AT_BYTES, BatchedLines, access_logger_class


async def test_lines_reach_the_stream_within_the_flush_delay_in_one_write() -> None:
    stream = io.StringIO()
    lines = BatchedLines(stream)
    lines.write("first\n")
    lines.write("second\n")
    assert stream.getvalue() == "", "batched, not one write per line"
    await asyncio.sleep(FLUSH_AFTER_S + 0.1)
    assert stream.getvalue() == "first\nsecond\n"


async def test_many_waiting_lines_go_out_at_once() -> None:
    stream = io.StringIO()
    lines = BatchedLines(stream)
    line = "x" * 1023 + "\n"
    for _ in range(FLUSH_AT_BYTES // len(line)):
        lines.write(line)
    assert len(stream.getvalue()) == FLUSH_AT_BYTES, "flushed when the batch was full, not later"
    lines.write("last\n")
    lines.flush()
    assert stream.getvalue().endswith("last\n")


async def test_a_request_line_has_the_services_format_and_its_fields() -> None:
    stream = io.StringIO()
    lines = BatchedLines(stream)

    async def created(request: web.Request) -> web.Response:
        return web.json_response({}, status=201, headers={"Location": "/things/1"})

    app = web.Application()
    app.router.add_post("/things", created)
    runner = web.AppRunner(app, access_log_class=access_logger_class("gateway", lines))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        url, headers = f"http://127.0.0.1:{port}/things", {"X-Correlation-ID": "corr-7"}
        async with aiohttp.ClientSession() as http, http.post(url, headers=headers) as resp:
            assert resp.status == 201
        await asyncio.sleep(FLUSH_AFTER_S + 0.1)
    finally:
        await runner.cleanup()
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} gateway INFO aiohttp\.access: method=POST path=/things status=201 "
        r"ms=\d+\.\d tenant=- correlation=corr-7 location=/things/1\n",
        stream.getvalue(),
    ), stream.getvalue()
