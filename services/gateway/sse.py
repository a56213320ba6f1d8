"""Server-Sent Events for one execution.

The current state goes out at once, then every committed change, each with
`id:` = the execution's sequence so `Last-Event-ID` (or `?after=`) resumes
without loss or repeat. A terminal state is followed by `stream-complete` and
the close. Named `ping` events keep idle proxies from dropping the line.
"""

from __future__ import annotations

import asyncio
import re

from aiohttp import web

from projections.history import states_after
from projections.notifications import Subscription
from projections.state import ExecutionState
from services.gateway import keys
from services.gateway.auth import principal_of, still_authorized
from services.gateway.errors import ApiError
from services.gateway.execution_lookup import require_execution
from services.gateway.requests import dumps

SSE_HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    "Connection": "keep-alive",
    "X-Accel-Buffering": "no",
}


def frame(event: str, data: str, event_id: int | None = None) -> bytes:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {data}\n\n".encode()


SEQUENCE = re.compile(r"[0-9]{1,18}")
"""ASCII digits only (`str.isdigit` accepts '²'), and few enough to stay a sequence number."""


def resume_point(request: web.Request) -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.query.get("after")
    if raw is None or raw == "":
        return None
    if SEQUENCE.fullmatch(raw) is None:
        raise ApiError(
            400, "BadRequest", "Last-Event-ID / 'after' must be a non-negative integer sequence of at most 18 digits."
        )
    return int(raw)


class ExecutionStream:
    """Frames that go out together are written together: each write is a syscall here and a
    wake-up at the client, and a stream is opened for most executions."""

    def __init__(self, request: web.Request, response: web.StreamResponse, preamble: bytes = b"") -> None:
        self._request = request
        self._response = response
        self._settings = request.app[keys.SETTINGS]
        self._unsent = preamble
        self.sent_sequence = 0

    async def _write(self, data: bytes) -> None:
        data, self._unsent = self._unsent + data, b""
        await self._response.write(data)

    async def send_state(self, state: ExecutionState, last: bool = False) -> None:
        """`last`: the terminal state, followed by `stream-complete` in the same write."""
        data = frame("execution-state", state.api_json(), state.sequence)
        await self._write(data + _complete_frame(state) if last else data)
        self.sent_sequence = state.sequence

    async def complete(self, state: ExecutionState) -> None:
        await self._write(_complete_frame(state))

    async def ping(self) -> None:
        await self._write(frame("ping", "{}"))

    async def catch_up(self, state: ExecutionState, after: int | None) -> None:
        if after is None or after > state.sequence:
            # Nothing to resume from, or a point this execution never reached (another
            # execution's id, a client's bug): start from what exists rather than wait for it.
            await self.send_state(state)
            return
        self.sent_sequence = after
        if after < state.sequence:
            history = await self._request.app[keys.READ_MODEL].history(state.execution_id)
            for missed in states_after(history, after):
                await self.send_state(missed)

    async def follow(self, changes: Subscription) -> None:
        if self._unsent:
            await self._write(b"")  # nothing to catch up on: the preamble goes out before the wait
        loop = asyncio.get_running_loop()
        closes_at = loop.time() + self._settings.stream_max_s
        next_ping = loop.time() + self._settings.ping_interval_s
        while (now := loop.time()) < closes_at:
            try:
                async with asyncio.timeout(min(next_ping, closes_at) - now):
                    change = await changes.next()
            except TimeoutError:
                if not still_authorized(self._request):
                    return  # its key was revoked: a reconnect gets the 401
                if loop.time() >= next_ping:
                    await self.ping()
                    next_ping = loop.time() + self._settings.ping_interval_s
                continue
            if change is None or not still_authorized(self._request):
                return  # too slow to keep up, shutting down, or its key revoked: the client reconnects
            if change.sequence <= self.sent_sequence:
                continue
            await self.send_state(change, last=change.status.is_terminal)
            if change.status.is_terminal:
                return


def _complete_frame(state: ExecutionState) -> bytes:
    body = {"executionId": state.execution_id, "status": state.status.value}
    return frame("stream-complete", dumps(body), state.sequence)


async def stream_execution(request: web.Request) -> web.StreamResponse:
    tenant_id = principal_of(request).tenant_id
    execution_id = request.match_info["execution_id"]
    read_model = request.app[keys.READ_MODEL]
    after = resume_point(request)
    await require_execution(request.app, tenant_id, execution_id, "execution with this id")
    response = web.StreamResponse(headers=SSE_HEADERS)
    await response.prepare(request)
    request.app[keys.STREAMS].add(response)
    stream = ExecutionStream(request, response, f"retry: {request.app[keys.SETTINGS].stream_retry_ms}\n\n".encode())
    # Subscribe before reading, so no change can fall between the read and the feed.
    with request.app[keys.HUB].subscribe(execution_id) as changes:
        state = await read_model.get(tenant_id, execution_id)
        assert state is not None  # executions are never deleted
        try:
            await stream.catch_up(state, after)
            if state.status.is_terminal:
                await stream.complete(state)
            else:
                await stream.follow(changes)
            await response.write_eof()
        except ConnectionResetError:
            pass  # the client went away; nothing to tell it
    return response
