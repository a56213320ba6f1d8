"""Pipeline routes: the catalog and the trigger command."""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import datetime, timezone

from aiohttp import web

from contracts.api import TriggerRequest
from projections.state import evolve
from services.gateway import keys
from services.gateway.auth import principal_of
from services.gateway.commands import CommandContext, MissingInputs, decide_trigger
from services.gateway.errors import ApiError
from services.gateway.requests import correlation_id, read_body
from services.kafka_io import PublishFailed

log = logging.getLogger(__name__)


def new_execution_id() -> str:
    return secrets.token_urlsafe(16)[:21]


def command_context(request: web.Request) -> CommandContext:
    return CommandContext(
        principal=principal_of(request),
        now=datetime.now(timezone.utc),
        event_id=str(uuid.uuid4()),
        correlation_id=correlation_id(request),
    )


async def list_pipelines(request: web.Request) -> web.Response:
    pipelines = request.app[keys.CATALOG].all()
    return web.json_response({"data": [p.to_api() for p in pipelines]})


async def get_pipeline(request: web.Request) -> web.Response:
    pipeline = request.app[keys.CATALOG].get(request.match_info["pipeline_id"])
    if pipeline is None:
        raise ApiError(404, "NotFound", "No pipeline with this id.")
    return web.json_response(pipeline.to_api())


async def trigger(request: web.Request) -> web.Response:
    pipeline = request.app[keys.CATALOG].get(request.match_info["pipeline_id"])
    if pipeline is None:
        raise ApiError(404, "NotFound", "No pipeline with this id.")
    body = await read_body(request, TriggerRequest)
    try:
        created = decide_trigger(pipeline, body, new_execution_id(), command_context(request))
    except MissingInputs as error:
        details = [{"field": f"input.dataInputs.{f}", "problem": "required"} for f in error.fields]
        raise ApiError(422, "InputValidationFailed", str(error), details) from error
    await append_and_wait(request.app, created)
    return web.json_response(evolve(None, created).to_api(), status=201)


async def append_and_wait(app: web.Application, event: object) -> None:
    """Append to the log, then wait until this gateway's read model holds it."""
    try:
        metadata = await app[keys.PUBLISHER].publish(event)  # type: ignore[arg-type]
    except PublishFailed as error:
        log.warning("%s", error)
        raise ApiError(503, "BrokerUnavailable", "The event log is unavailable; retry shortly.",
                       headers={"Retry-After": "5"}) from error
    timeout = app[keys.SETTINGS].read_your_writes_timeout_s
    try:
        await app[keys.RUNNER].wait_for(metadata.partition, metadata.offset, timeout)
    except TimeoutError:
        # Recorded on the log; the read model is just behind. The client may poll.
        log.warning("read model did not reach %s:%s within %ss", metadata.partition, metadata.offset, timeout)


def setup(app: web.Application) -> None:
    app.router.add_get("/pipelines", list_pipelines)
    app.router.add_get("/pipelines/{pipeline_id}", get_pipeline)
    app.router.add_post("/pipelines/{pipeline_id}/trigger", trigger)
