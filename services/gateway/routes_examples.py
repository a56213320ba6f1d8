"""Promoting succeeded executions to ground-truth examples, and reading example sets."""

from __future__ import annotations

import secrets

from aiohttp import web

from contracts.api import PromoteRequest
from services.gateway import keys
from services.gateway.appending import append_and_wait, command_context
from services.gateway.auth import principal_of
from services.gateway.commands import NotSucceeded, decide_promote
from services.gateway.errors import ApiError
from services.gateway.registry_limits import MAX_EXAMPLE_SETS_PER_TENANT, MAX_EXAMPLES_PER_SET, room_for
from services.gateway.requests import read_body
from services.gateway.routes_executions import load_execution


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(12)}"


async def promote(request: web.Request) -> web.Response:
    state = await load_execution(request)
    body = await read_body(request, PromoteRequest)
    read_model, tenant_id = request.app[keys.READ_MODEL], principal_of(request).tenant_id
    if (earlier := _same_promotion(await read_model.examples_of(tenant_id, state.execution_id), body)) is not None:
        return web.json_response(
            {**earlier, "executionId": state.execution_id}, headers={"Idempotent-Replayed": "true"}
        )
    if body.existing_example_set_id:
        existing = await read_model.example_set(tenant_id, body.existing_example_set_id)
        if existing is None:
            raise ApiError(404, "NotFound", "No example set with this id.")
        room_for("examples per example set", existing["exampleCount"], MAX_EXAMPLES_PER_SET)
    else:
        room_for("example sets per tenant", len(await read_model.example_sets(tenant_id)), MAX_EXAMPLE_SETS_PER_TENANT)
    try:
        event = decide_promote(state, body, (_new_id("ex"), _new_id("exset")), command_context(request))
    except NotSucceeded as error:
        raise ApiError(409, "ExecutionNotSucceeded", str(error)) from error
    await append_and_wait(request.app, event)
    return web.json_response(
        {
            "exampleId": event.data.example_id,
            "exampleSetId": event.data.example_set_id,
            "exampleName": event.data.example_name,
            "rationale": event.data.rationale,
            "executionId": state.execution_id,
        },
        status=201,
    )


def _same_promotion(earlier: list[dict[str, str]], body: PromoteRequest) -> dict[str, str] | None:
    """This execution already promoted into the set the request names (by id, or a new set by name)."""
    for example in earlier:
        if body.existing_example_set_id == example["exampleSetId"] or (
            body.new_example_set is not None and body.new_example_set.name == example["exampleSetName"]
        ):
            return {k: v for k, v in example.items() if k != "exampleSetName"}
    return None


async def list_example_sets(request: web.Request) -> web.Response:
    return web.json_response({"data": await request.app[keys.READ_MODEL].example_sets(principal_of(request).tenant_id)})


async def get_example_set(request: web.Request) -> web.Response:
    found = await request.app[keys.READ_MODEL].example_set(
        principal_of(request).tenant_id, request.match_info["example_set_id"]
    )
    if found is None:
        raise ApiError(404, "NotFound", "No example set with this id.")
    return web.json_response(found)


def setup(app: web.Application) -> None:
    app.router.add_post("/pipeline-executions/{execution_id}/promote-to-example", promote)
    app.router.add_get("/example-sets", list_example_sets)
    app.router.add_get("/example-sets/{example_set_id}", get_example_set)
