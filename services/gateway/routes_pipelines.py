"""Pipeline routes: the catalog and the trigger command."""

from __future__ import annotations

from aiohttp import web

from contracts.api import TriggerRequest
from services.gateway import keys
from services.gateway.creation import create_execution
from services.gateway.errors import ApiError
from services.gateway.requests import read_body


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
    creation = await create_execution(request, pipeline, await read_body(request, TriggerRequest))
    headers = {"Idempotent-Replayed": "true"} if creation.replayed else None
    return web.json_response(creation.state.to_api(), status=200 if creation.replayed else 201, headers=headers)


def setup(app: web.Application) -> None:
    app.router.add_get("/pipelines", list_pipelines)
    app.router.add_get("/pipelines/{pipeline_id}", get_pipeline)
    app.router.add_post("/pipelines/{pipeline_id}/trigger", trigger)
