"""Pipeline-execution queries and the cancel command."""

from __future__ import annotations

import asyncio

from aiohttp import web

from projections.notifications import Subscription
from projections.state import ExecutionState, Status
from services.gateway import keys
from services.gateway.appending import append_and_wait, command_context
from services.gateway.auth import principal_of
from services.gateway.commands import AlreadyTerminal, decide_cancel
from services.gateway.errors import ApiError
from services.gateway.execution_lookup import require_execution
from services.gateway.requests import int_query
from services.gateway.routes_history import execution_as_of, list_events
from services.gateway.sse import stream_execution

MAX_PAGE_SIZE = 100


async def load_execution(request: web.Request) -> ExecutionState:
    tenant_id = principal_of(request).tenant_id
    return await require_execution(request.app, tenant_id, request.match_info["execution_id"], "execution with this id")


async def get_execution(request: web.Request) -> web.Response:
    state = await load_execution(request)
    if (as_of := request.query.get("asOf")) is not None:
        return await execution_as_of(request, state.execution_id, as_of)
    return web.Response(body=request.app[keys.READ_MODEL].api_body(state), content_type="application/json")


async def get_events(request: web.Request) -> web.Response:
    return await list_events(request, (await load_execution(request)).execution_id)


async def list_executions(request: web.Request) -> web.Response:
    page = int_query(request, "page", 1, 1, 1_000_000)
    page_size = int_query(request, "pageSize", 20, 1, MAX_PAGE_SIZE)
    result = await request.app[keys.READ_MODEL].search(
        principal_of(request).tenant_id,
        pipeline_id=request.query.get("pipelineId") or None,
        status=status_filter(request.query.get("status")),
        page=page,
        page_size=page_size,
    )
    return web.json_response(
        {
            "data": [state.to_api() for state in result.items],
            "page": page,
            "pageSize": page_size,
            "total": result.total,
        }
    )


def status_filter(raw: str | None) -> Status | None:
    """`?status=` of a listing, page or API alike: unset, or one of the statuses (else 400)."""
    if not raw:
        return None
    try:
        return Status(raw)
    except ValueError:
        allowed = ", ".join(s.value for s in Status)
        raise ApiError(400, "BadRequest", f"Query parameter 'status' must be one of: {allowed}.") from None


async def cancel_execution(request: web.Request) -> web.Response:
    state = await load_execution(request)
    try:
        requested = decide_cancel(state, command_context(request))
    except AlreadyTerminal as error:
        raise ApiError(
            409, "ExecutionAlreadyTerminal", f"{error}; only pending or running executions can be cancelled."
        ) from error
    hub = request.app[keys.HUB]
    with hub.subscribe(state.execution_id) as changes:
        await append_and_wait(request.app, requested)
        final = await _terminal_or_none(changes, request.app[keys.SETTINGS].cancel_wait_s)
    if final is None:
        # Accepted: the handler will answer the request; poll or stream for the outcome.
        current = await load_execution(request)
        return web.json_response(current.to_api(), status=200 if current.status.is_terminal else 202)
    return web.json_response(final.to_api())


async def _terminal_or_none(changes: Subscription, timeout: float) -> ExecutionState | None:
    try:
        async with asyncio.timeout(timeout):
            while True:
                state = await changes.next()
                if state is None or state.status.is_terminal:
                    return state
    except TimeoutError:
        return None


def setup(app: web.Application) -> None:
    app.router.add_get("/pipeline-executions", list_executions)
    app.router.add_get("/pipeline-executions/{execution_id}", get_execution)
    app.router.add_post("/pipeline-executions/{execution_id}/cancel", cancel_execution)
    app.router.add_get("/pipeline-executions/{execution_id}/stream", stream_execution)
    app.router.add_get("/pipeline-executions/{execution_id}/events", get_events)
