"""An execution's history for auditors: its events in order, and its state at any past moment.

Both come from the read model's copy of the execution's lifecycle events (the log's own bytes),
folded by the same `evolve` as everything else, so the state "as of" a moment is exactly what a
GET would have answered then.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from aiohttp import web

from contracts.events import ExecutionEvent
from projections.history import state_as_of
from services.gateway import keys
from services.gateway.errors import ApiError
from services.gateway.requests import int_query

MAX_EVENTS_PAGE = 500
SEQUENCE = re.compile(r"[0-9]{1,18}")


def event_view(event: ExecutionEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.type,
        "sequence": event.sequence,
        "time": event.time.isoformat(),
        "actor": event.actor,
        "correlationId": event.correlationid,
        "causationId": event.causationid,
        "data": event.data.model_dump(mode="json", by_alias=True),
    }


async def list_events(request: web.Request, execution_id: str) -> web.Response:
    after = int_query(request, "after", 0, 0, 10**18)
    limit = int_query(request, "limit", 100, 1, MAX_EVENTS_PAGE)
    history = await request.app[keys.READ_MODEL].history(execution_id)
    later = [event for event in history if (event.sequence or 0) > after]
    page = later[:limit]
    more = len(later) > limit
    return web.json_response(
        {"data": [event_view(e) for e in page], "nextAfter": page[-1].sequence if more and page else None}
    )


def as_of_point(raw: str) -> datetime | int:
    """`asOf`: a sequence number, or an RFC 3339 time with its offset."""
    if SEQUENCE.fullmatch(raw):
        return int(raw)
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ApiError(400, "BadRequest", "'asOf' must be a sequence number or an RFC 3339 time with an offset.")
    return moment


async def execution_as_of(request: web.Request, execution_id: str, raw: str) -> web.Response:
    moment = as_of_point(raw)
    state = state_as_of(await request.app[keys.READ_MODEL].history(execution_id), moment)
    if state is None:
        raise ApiError(404, "NotFound", "The execution did not exist yet at that point.")
    return web.json_response(state.to_api())
