"""A tenant's change feed over HTTP, for services that cannot reach Kafka: every lifecycle event of
its executions, in the order this gateway applied them (log order within each execution).

`GET /events?after=<cursor>&wait=<s>` answers a page at once, or waits up to `wait` seconds for
the first new event (long poll). `GET /events/stream` sends the same events over SSE, each with
`id:` = its cursor, so `Last-Event-ID` resumes exactly after the last one received.
"""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

from services.gateway import keys
from services.gateway.auth import principal_of, still_authorized
from services.gateway.requests import int_query
from services.gateway.sse import SSE_HEADERS, frame, resume_point

MAX_PAGE = 500
MAX_WAIT_S = 30


async def read_feed(
    request: web.Request, tenant_id: str, after: int, limit: int, wait_s: float
) -> list[tuple[int, str]]:
    hub, read_model = request.app[keys.HUB], request.app[keys.READ_MODEL]
    bell = hub.bell(tenant_id)  # before the read: a commit in between still rings it
    page = await read_model.feed(tenant_id, after, limit)
    if page or wait_s <= 0:
        return page
    try:
        async with asyncio.timeout(wait_s):
            await bell.wait()
    except TimeoutError:
        return []
    return await read_model.feed(tenant_id, after, limit)


async def list_events(request: web.Request) -> web.Response:
    after = int_query(request, "after", 0, 0, 10**18)
    limit = int_query(request, "limit", 100, 1, MAX_PAGE)
    wait_s = int_query(request, "wait", 0, 0, MAX_WAIT_S)
    page = await read_feed(request, principal_of(request).tenant_id, after, limit, wait_s)
    items = [{"cursor": position, "event": json.loads(event)} for position, event in page]
    return web.json_response({"data": items, "next": page[-1][0] if page else after})


async def stream_events(request: web.Request) -> web.StreamResponse:
    tenant_id = principal_of(request).tenant_id
    after = resume_point(request) or 0
    settings = request.app[keys.SETTINGS]
    response = web.StreamResponse(headers=SSE_HEADERS)
    await response.prepare(request)
    await response.write(f"retry: {settings.stream_retry_ms}\n\n".encode())
    loop = asyncio.get_running_loop()
    closes_at = loop.time() + settings.stream_max_s
    try:
        while loop.time() < closes_at and still_authorized(request):
            wait_s = min(settings.ping_interval_s, closes_at - loop.time())
            page = await read_feed(request, tenant_id, after, MAX_PAGE, wait_s)
            for position, event in page:
                # One line of data per event: JSON from another producer might carry newlines.
                data = event if "\n" not in event else json.dumps(json.loads(event), separators=(",", ":"))
                await response.write(frame("execution-event", data, position))
                after = position
            if not page:
                await response.write(frame("ping", "{}"))
        await response.write_eof()
    except ConnectionResetError:
        pass  # the client went away
    return response


def setup(app: web.Application) -> None:
    app.router.add_get("/events", list_events)
    app.router.add_get("/events/stream", stream_events)
