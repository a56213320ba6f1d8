"""Pipeline routes: the shared catalog, the tenant's own pipelines, and the trigger command."""

from __future__ import annotations

import secrets

from aiohttp import web

from contracts.api import CreatePipelineRequest, TriggerRequest
from contracts.codec import encode
from contracts.pipelines import Pipeline
from projections.pipeline_stats import PipelineStatsProjection
from services.catalog import installed_handler_types
from services.gateway import keys
from services.gateway.appending import append_to_directory, command_context
from services.gateway.auth import principal_of
from services.gateway.commands import (
    CODE_STEPS_HANDLER,
    InvalidInput,
    decide_archive_pipeline,
    decide_register_pipeline,
)
from services.gateway.creation import create_execution
from services.gateway.errors import ApiError
from services.gateway.file_refs import with_resolved_files
from services.gateway.registry_limits import MAX_PIPELINE_BYTES, MAX_PIPELINES_PER_TENANT, room_for, small_enough
from services.gateway.requests import read_body

ARCHIVED_HEADER = "Pipeline-Archived"
"""On an archived pipeline: still readable (its executions name it), no longer triggerable."""


def visible_pipelines(request: web.Request) -> list[Pipeline]:
    """The shared catalog, then the caller's tenant's own pipelines that are not archived."""
    tenant_id = principal_of(request).tenant_id
    directory = request.app[keys.DIRECTORY].directory
    owned = [
        p for owner, p in directory.pipelines.values() if owner == tenant_id and p.pipeline_id not in directory.archived
    ]
    return [*request.app[keys.CATALOG].all(), *owned]


def visible_pipeline(request: web.Request) -> Pipeline:
    pipeline_id = request.match_info["pipeline_id"]
    shared = request.app[keys.CATALOG].get(pipeline_id)
    owner, owned = request.app[keys.DIRECTORY].directory.pipelines.get(pipeline_id, (None, None))
    if shared is not None:
        return shared
    if owned is None or owner != principal_of(request).tenant_id:
        raise ApiError(404, "NotFound", "No pipeline with this id.")  # another tenant's looks like none
    return owned


async def list_pipelines(request: web.Request) -> web.Response:
    return web.json_response({"data": [p.to_api() for p in visible_pipelines(request)]})


async def get_pipeline(request: web.Request) -> web.Response:
    pipeline = visible_pipeline(request)
    archived = pipeline.pipeline_id in request.app[keys.DIRECTORY].directory.archived
    return web.json_response(pipeline.to_api(), headers={ARCHIVED_HEADER: "true"} if archived else None)


async def pipeline_stats(request: web.Request) -> web.Response:
    """Counts by status and run durations of the caller's executions of this pipeline."""
    pipeline = visible_pipeline(request)
    read_model = request.app[keys.READ_MODEL]
    stats = await read_model.projection(PipelineStatsProjection).stats(
        read_model.reader, principal_of(request).tenant_id, pipeline.pipeline_id
    )
    return web.json_response(stats.to_api(pipeline.pipeline_id))


async def archive_pipeline(request: web.Request) -> web.Response:
    """Hidden from lists and new triggers; kept, with its executions' history. Repeating it is harmless."""
    pipeline = visible_pipeline(request)
    if request.app[keys.CATALOG].get(pipeline.pipeline_id) is not None:
        raise ApiError(409, "SharedPipeline", "Pipelines of the shared catalog cannot be archived.")
    if pipeline.pipeline_id not in request.app[keys.DIRECTORY].directory.archived:
        await append_to_directory(
            request.app, [decide_archive_pipeline(pipeline.pipeline_id, command_context(request))]
        )
    return web.Response(status=204)


def refuse_tenant_code(request: web.Request, body: CreatePipelineRequest) -> None:
    """Python steps a tenant writes run on the handler's machine: only where the operator said so."""
    if body.handler_type != CODE_STEPS_HANDLER or "steps" not in body.configuration:
        return
    if request.app[keys.SETTINGS].allow_tenant_code_steps:
        return
    raise ApiError(
        422,
        "TenantCodeStepsDisabled",
        "Tenant-authored code steps are disabled by the operator: a code_agent_language_model pipeline with "
        "configuration.steps needs ALLOW_TENANT_CODE_STEPS=true on the gateway and the handler.",
        [
            {
                "field": "configuration.steps",
                "problem": "tenant-authored code steps are disabled (ALLOW_TENANT_CODE_STEPS)",
            }
        ],
    )


async def create_pipeline(request: web.Request) -> web.Response:
    body = await read_body(request, CreatePipelineRequest)
    refuse_tenant_code(request, body)
    owned = len(visible_pipelines(request)) - len(request.app[keys.CATALOG].all())
    room_for("pipelines per tenant", owned, MAX_PIPELINES_PER_TENANT)
    try:
        event = decide_register_pipeline(
            body, f"pl_{secrets.token_urlsafe(12)}", command_context(request), installed_handler_types()
        )
    except InvalidInput as error:
        raise ApiError(422, "InputValidationFailed", "The pipeline is not valid.", error.problems) from error
    small_enough("pipeline", len(encode(event).value), MAX_PIPELINE_BYTES)
    await append_to_directory(request.app, [event])
    return web.json_response(event.data.pipeline.to_api(), status=201)


async def trigger(request: web.Request) -> web.Response:
    pipeline = visible_pipeline(request)
    body = await with_resolved_files(request, await read_body(request, TriggerRequest))
    creation = await create_execution(request, pipeline, body)
    status = 200 if creation.replayed else 201
    document = creation.state.api_json().encode()
    return web.Response(body=document, status=status, headers=creation.headers, content_type="application/json")


def setup(app: web.Application) -> None:
    app.router.add_get("/pipelines", list_pipelines)
    app.router.add_post("/pipelines", create_pipeline)
    app.router.add_get("/pipelines/{pipeline_id}", get_pipeline)
    app.router.add_delete("/pipelines/{pipeline_id}", archive_pipeline)
    app.router.add_get("/pipelines/{pipeline_id}/stats", pipeline_stats)
    app.router.add_post("/pipelines/{pipeline_id}/trigger", trigger)
