"""`GET /channels/{channelId}/stream`: a streaming execution's tokens as Server-Sent Events.

`event: token` with `id:` = the token's index (so `Last-Event-ID` resumes), then
`stream-complete` after the last token; `ping` while waiting.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from services.gateway import keys
from services.gateway.auth import principal_of, still_authorized
from services.gateway.errors import ApiError
from services.gateway.execution_lookup import require_execution
from services.gateway.requests import dumps
from services.gateway.sse import SSE_HEADERS, frame, resume_point

CHANNEL_PREFIX = "ch_"


async def stream_channel(request: web.Request) -> web.StreamResponse:
    channel_id = request.match_info["channel_id"]
    execution_id = channel_id.removeprefix(CHANNEL_PREFIX)
    tenant_id = principal_of(request).tenant_id
    if not channel_id.startswith(CHANNEL_PREFIX):
        raise ApiError(404, "NotFound", "No channel with this id.")
    await require_execution(request.app, tenant_id, execution_id, "channel with this id")
    after = resume_point(request)
    response = web.StreamResponse(headers=SSE_HEADERS)
    await response.prepare(request)
    try:
        await _send_tokens(request, response, channel_id, -1 if after is None else after)
        await response.write_eof()
    except ConnectionResetError:
        pass  # the client went away
    return response


async def _send_tokens(request: web.Request, response: web.StreamResponse, channel_id: str, sent: int) -> None:
    channels, settings = request.app[keys.CHANNELS], request.app[keys.SETTINGS]
    changed = channels.watch(channel_id)
    loop = asyncio.get_running_loop()
    closes_at = loop.time() + settings.stream_max_s
    try:
        while loop.time() < closes_at:
            changed.clear()
            channel = channels.channels.get(channel_id)
            while channel is not None and sent + 1 in channel.tokens:
                sent += 1
                await response.write(frame("token", dumps({"index": sent, "token": channel.tokens[sent]}), sent))
            if channel is not None and channel.final_index is not None and sent >= channel.final_index:
                await response.write(frame("stream-complete", dumps({"channelId": channel_id}), sent))
                return
            try:
                async with asyncio.timeout(min(settings.ping_interval_s, closes_at - loop.time())):
                    await changed.wait()
            except TimeoutError:
                await response.write(frame("ping", "{}"))
            if not still_authorized(request):
                return  # its key was revoked: a reconnect gets the 401
    finally:
        channels.unwatch(channel_id, changed)


def setup(app: web.Application) -> None:
    app.router.add_get("/channels/{channel_id}/stream", stream_channel)
