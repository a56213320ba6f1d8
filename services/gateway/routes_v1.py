"""The compact `/v1` API: a second view of the same executions.

`POST /v1/generate` triggers the threat-intel pipeline and answers with an
`executionArn` at once; `GET /v1/status/{arn}` and `GET /v1/executions` read
the same read model as the pipeline-executions API, with `/v1`'s statuses.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from contracts.api import GenerateRequest, TriggerRequest
from contracts.events import ExecutionInput
from projections.state import ExecutionState, Status
from services.catalog import THREAT_INTEL_PIPELINE_ID
from services.gateway import keys
from services.gateway.auth import principal_of
from services.gateway.creation import create_execution
from services.gateway.errors import ApiError
from services.gateway.execution_lookup import require_execution
from services.gateway.requests import int_query, read_body

ARN_PREFIX = "arn:execution-tracking:states:local:execution:threat-intel-to-sigma:"
V1_STATUS = {
    Status.PENDING: "RUNNING",
    Status.RUNNING: "RUNNING",
    Status.SUCCEEDED: "SUCCEEDED",
    Status.FAILED: "FAILED",
    Status.CANCELLED: "FAILED",
}
MAX_HISTORY = 50


def execution_arn(execution_id: str) -> str:
    return ARN_PREFIX + execution_id


async def generate(request: web.Request) -> web.Response:
    body = await read_body(request, GenerateRequest)
    pipeline = request.app[keys.CATALOG].get(THREAT_INTEL_PIPELINE_ID)
    assert pipeline is not None, "the /v1 pipeline is part of every catalog"
    trigger = TriggerRequest(input=ExecutionInput(data_inputs={"text": body.input, "inputType": body.input_type}))
    creation = await create_execution(request, pipeline, trigger)
    body_out = {"data": {"executionArn": execution_arn(creation.state.execution_id)}}
    return web.json_response(body_out, status=202, headers=creation.headers)


async def status(request: web.Request) -> web.Response:
    arn = request.match_info["arn"]
    what = "execution with this executionArn"
    if not arn.startswith(ARN_PREFIX):
        raise ApiError(404, "NotFound", f"No {what}.")
    state = await require_execution(request.app, principal_of(request).tenant_id, arn[len(ARN_PREFIX) :], what)
    return web.json_response({"data": status_body(state)})


async def executions(request: web.Request) -> web.Response:
    limit = int_query(request, "limit", 10, 1, MAX_HISTORY)
    page = await request.app[keys.READ_MODEL].search(
        principal_of(request).tenant_id, pipeline_id=THREAT_INTEL_PIPELINE_ID, status=None, page=1, page_size=limit
    )
    return web.json_response({"data": [summary(state) for state in page.items]})


def status_body(state: ExecutionState) -> dict[str, Any]:
    error = state.error_message
    if state.status is Status.CANCELLED:
        error = "PipelineFailed: execution was cancelled"
    return {
        "executionArn": execution_arn(state.execution_id),
        "status": V1_STATUS[state.status],
        "output": state.output,
        "errorMessage": error,
    }


def summary(state: ExecutionState) -> dict[str, Any]:
    output, api = state.output or {}, state.to_api()
    return {
        "executionArn": execution_arn(state.execution_id),
        "status": V1_STATUS[state.status],
        "inputType": state.input.data_inputs.get("inputType", "text"),
        "rulesGenerated": output.get("rulesGenerated", 0),
        "ttpsExtracted": output.get("ttpsExtracted", 0),
        "createdAt": api["createdAt"],
        "completedAt": api["completedAt"],
    }


def setup(app: web.Application) -> None:
    app.router.add_post("/v1/generate", generate)
    app.router.add_get("/v1/status/{arn}", status)
    app.router.add_get("/v1/executions", executions)
