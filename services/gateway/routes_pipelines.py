"""Pipeline routes: the catalog and the trigger command."""

from __future__ import annotations

import secrets

from aiohttp import web

from contracts.api import TriggerRequest
from projections.state import evolve
from services.gateway import keys
from services.gateway.appending import append_and_wait, command_context
from services.gateway.commands import InvalidInput, decide_trigger
from services.gateway.errors import ApiError
from services.gateway.requests import read_body


def new_execution_id() -> str:
    return secrets.token_urlsafe(16)[:21]


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
    except InvalidInput as error:
        raise ApiError(422, "InputValidationFailed", str(error), error.problems) from error
    await append_and_wait(request.app, created)
    return web.json_response(evolve(None, created).to_api(), status=201)


def setup(app: web.Application) -> None:
    app.router.add_get("/pipelines", list_pipelines)
    app.router.add_get("/pipelines/{pipeline_id}", get_pipeline)
    app.router.add_post("/pipelines/{pipeline_id}/trigger", trigger)
