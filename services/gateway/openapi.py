"""The OpenAPI 3.1 document of the gateway, built from the same models the routes use."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from contracts.api import (
    CreatePipelineRequest,
    ErrorBody,
    GenerateRequest,
    PromoteRequest,
    ResolveCitationsRequest,
    TriggerRequest,
)
from contracts.pipelines import Pipeline
from projections.state import INTERNAL_FIELDS, ExecutionState, Status
from services.gateway.routes_admin import CreateTenantRequest
from services.gateway.routes_executions import MAX_PAGE_SIZE
from services.gateway.routes_v1 import MAX_HISTORY
from services.gateway.web.docs_page import render_docs
from services.webhooks.registration import CreateWebhookRequest, RedeliverRequest

REF = "#/components/schemas/{model}"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(model=name)}


def _schemas() -> dict[str, Any]:
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (ExecutionState, "serialization"),
        (Pipeline, "serialization"),
        (ErrorBody, "serialization"),
        (TriggerRequest, "validation"),
        (GenerateRequest, "validation"),
        (CreateTenantRequest, "validation"),
        (PromoteRequest, "validation"),
        (CreatePipelineRequest, "validation"),
        (ResolveCitationsRequest, "validation"),
        (CreateWebhookRequest, "validation"),
        (RedeliverRequest, "validation"),
    ]
    _, defs = models_json_schema(models, by_alias=True, ref_template=REF)
    schemas: dict[str, Any] = defs["$defs"]
    execution = schemas["ExecutionState"]
    for field in INTERNAL_FIELDS:
        execution["properties"].pop(to_camel(field), None)
        execution["required"] = [name for name in execution.get("required", []) if name != to_camel(field)]
    schemas["Execution"] = schemas.pop("ExecutionState")
    schemas["ExecutionPage"] = _object(
        data={"type": "array", "items": _ref("Execution")}, page={"type": "integer"},
        pageSize={"type": "integer"}, total={"type": "integer"},
    )  # fmt: skip
    schemas["V1Status"] = _object(
        executionArn={"type": "string"},
        status={"enum": ["RUNNING", "SUCCEEDED", "FAILED"]},
        output={"anyOf": [{"type": "object"}, {"type": "null"}]},
        errorMessage={"anyOf": [{"type": "string"}, {"type": "null"}]},
    )
    schemas["V1Summary"] = _object(
        executionArn={"type": "string"}, status={"enum": ["RUNNING", "SUCCEEDED", "FAILED"]},
        inputType={"type": "string"}, rulesGenerated={"type": "integer"}, ttpsExtracted={"type": "integer"},
        createdAt={"type": "string"}, completedAt={"anyOf": [{"type": "string"}, {"type": "null"}]},
    )  # fmt: skip
    counts = {status.value: {"type": "integer", "minimum": 0} for status in Status}
    optional_ms = {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "null"}]}
    schemas["PipelineStats"] = _object(
        pipelineId={"type": "string"}, executions={"type": "integer", "minimum": 0},
        byStatus=_object(**counts),
        durationMs=_object(finishedRuns={"type": "integer", "minimum": 0}, p50=optional_ms, p95=optional_ms),
    )  # fmt: skip
    rewritten: dict[str, Any] = _rewrite_refs(schemas)
    return rewritten


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: (REF.format(model="Execution") if k == "$ref" and v == REF.format(model="ExecutionState")
                    else _rewrite_refs(v)) for k, v in node.items()}  # fmt: skip
    if isinstance(node, list):
        return [_rewrite_refs(item) for item in node]
    return node


def _object(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties)}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    described = {400: "Bad request", 401: "Missing or invalid API key", 404: "Not found (or another tenant's)",
                 409: "Already terminal", 413: "Request body too large", 415: "Not multipart/form-data",
                 422: "Invalid input",
                 429: "Rate limit or monthly quota",
                 503: "BrokerUnavailable, Overloaded or NotReady: nothing was recorded; OutcomeUnknown: "
                      "it may have been (the body names executionId and idempotencyKey: retry with that key)",
                 }  # fmt: skip
    return {str(s): _json(_ref("ErrorBody"), described[s]) for s in (401, *statuses)}


def _path_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": False,
               "schema": {"type": "string", "minLength": 1, "maxLength": 255}}  # fmt: skip
KEY_HEADER = {"Idempotency-Key": {"description": "The creation's key (yours, or one made for it): retry with it",
                                  "schema": {"type": "string"}}}  # fmt: skip


def _paths() -> dict[str, Any]:
    execution = _ref("Execution")
    page = {"type": "integer", "minimum": 1, "maximum": 1_000_000}
    public: dict[str, Any] = {"security": []}
    return {
        "/healthz": {"get": {**public, "summary": "Liveness",
                             "responses": {"200": _json({"type": "object"}, "Alive")}}},
        "/readyz": {"get": {**public, "summary": "Readiness: the read model has caught up", "responses": {
            "200": _json({"type": "object"}, "Ready"), "503": _json({"type": "object"}, "Not ready")}}},
        "/openapi.json": {"get": {**public, "summary": "This document",
                                  "responses": {"200": _json({"type": "object"}, "OpenAPI")}}},
        "/docs": {"get": {**public, "summary": "Human-readable API docs",
                          "responses": {"200": {"description": "HTML", "content": {"text/html": {}}}}}},
        "/pipelines": {
            "get": {"summary": "List pipelines: the shared catalog and the tenant's own", "responses": {
                "200": _json(_object(data={"type": "array", "items": _ref("Pipeline")}), "Pipelines"), **_errors()}},
            "post": {"summary": "Create a pipeline of the caller's tenant",
                     "requestBody": {"required": True, "content": {JSON: {"schema": _ref("CreatePipelineRequest")}}},
                     "responses": {"201": _json(_ref("Pipeline"), "Created"), **_errors(400, 413, 422, 503)}}},
        "/pipelines/{pipelineId}": {"get": {"summary": "Get a pipeline", "parameters": [_path_param("pipelineId")],
            "responses": {"200": {**_json(_ref("Pipeline"), "The pipeline"), "headers": {"Pipeline-Archived": {
                "description": "true when archived (DELETE): readable still, not triggerable",
                "schema": {"type": "string"}}}}, **_errors(404)}},
            "delete": {"summary": "Archive a pipeline of your tenant: no new triggers, history kept",
                       "parameters": [_path_param("pipelineId")],
                       "responses": {"204": {"description": "Archived (or already)"}, **_errors(404, 409, 503)}}},
        "/pipelines/{pipelineId}/stats": {"get": {
            "summary": "Your executions of a pipeline: counts by status, p50/p95 run duration",
            "parameters": [_path_param("pipelineId")],
            "responses": {"200": _json(_ref("PipelineStats"), "Statistics"), **_errors(404)}}},
        "/pipelines/{pipelineId}/trigger": {"post": {
            "summary": "Trigger an execution (answers at once, status pending)",
            "parameters": [_path_param("pipelineId"), IDEMPOTENCY],
            "requestBody": {"required": False, "content": {JSON: {"schema": _ref("TriggerRequest")}}},
            "responses": {"201": {**_json(execution, "Created"), "headers": KEY_HEADER},
                          "200": {**_json(execution, "Replayed: created earlier with this Idempotency-Key"),
                                  "headers": KEY_HEADER},
                          **_errors(400, 404, 409, 413, 422, 429, 503)}}},
        "/pipeline-executions": {"get": {"summary": "List executions, newest first", "parameters": [
            _query("pipelineId", {"type": "string"}), _query("status", {"enum": [s.value for s in Status]}),
            _query("page", page), _query("pageSize", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE})],
            "responses": {"200": _json(_ref("ExecutionPage"), "A page of executions"), **_errors(400)}}},
        "/pipeline-executions/{executionId}": {"get": {"summary": "Get an execution (or its state as of a past point)",
            "parameters": [_path_param("executionId"), _query("asOf", {"type": "string", "description":
                "A sequence number, or an RFC 3339 time with its offset: the state after the last event then"})],
            "responses": {"200": _json(execution, "The execution"), **_errors(400, 404, 503)}}},
        "/events": {"get": {"summary": "The tenant's change feed: lifecycle events after a cursor (long poll)",
            "parameters": [_query("after", {"type": "integer", "minimum": 0}),
                           _query("limit", {"type": "integer", "minimum": 1, "maximum": 500}),
                           _query("wait", {"type": "integer", "minimum": 0, "maximum": 30})],
            "responses": {"200": _json(_object(data={"type": "array", "items": {"type": "object"}},
                                               next={"type": "integer"}), "Events after the cursor"),
                          **_errors(400)}}},
        "/events/stream": {"get": {"summary": "The tenant's change feed over SSE (execution-event, ping)",
            "parameters": [{"name": "Last-Event-ID", "in": "header", "required": False,
                            "schema": {"type": "string", "pattern": "^[0-9]+$"}},
                           _query("after", {"type": "string", "pattern": "^[0-9]+$"})],
            "responses": {"200": {"description": "An event stream", "content": {"text/event-stream": {}}},
                          **_errors(400)}}},
        "/pipeline-executions/{executionId}/events": {"get": {
            "summary": "The execution's lifecycle events in order, paged by sequence",
            "parameters": [_path_param("executionId"), _query("after", {"type": "integer", "minimum": 0}),
                           _query("limit", {"type": "integer", "minimum": 1, "maximum": 500})],
            "responses": {"200": _json(_object(data={"type": "array", "items": {"type": "object"}},
                                               nextAfter={"type": ["integer", "null"]}), "A page of events"),
                          **_errors(400, 404, 503)}}},
        "/pipeline-executions/{executionId}/cancel": {"post": {"summary": "Cancel a pending or running execution",
            "parameters": [_path_param("executionId")],
            "responses": {"200": _json(execution, "Cancelled (or finished meanwhile)"),
                          "202": _json(execution, "Requested; not yet answered by the handler"),
                          **_errors(404, 409, 503)}}},
        "/pipeline-executions/{executionId}/stream": {"get": {
            "summary": "Server-Sent Events: execution-state, stream-complete, ping",
            "parameters": [_path_param("executionId"), _query("after", {"type": "string", "pattern": "^[0-9]+$"}),
                           {"name": "Last-Event-ID", "in": "header", "required": False,
                            "schema": {"type": "string", "pattern": "^[0-9]+$"}}],
            "responses": {"200": {"description": "An event stream", "content": {"text/event-stream": {}}},
                          **_errors(400, 404, 503)}}},
        "/channels/{channelId}/stream": {"get": {
            "summary": "Server-Sent Events of a streaming execution's tokens: token, stream-complete, ping",
            "parameters": [_path_param("channelId"), _query("after", {"type": "string", "pattern": "^[0-9]+$"}),
                           {"name": "Last-Event-ID", "in": "header", "required": False,
                            "schema": {"type": "string", "pattern": "^[0-9]+$"}}],
            "responses": {"200": {"description": "An event stream", "content": {"text/event-stream": {}}},
                          **_errors(400, 404, 503)}}},
        "/v1/generate": {"post": {"summary": "Threat intel to Sigma rules; answers with an executionArn at once",
            "parameters": [IDEMPOTENCY],
            "requestBody": {"required": True, "content": {JSON: {"schema": _ref("GenerateRequest")}}},
            "responses": {"202": {**_json(_object(data=_object(executionArn={"type": "string"})), "Accepted"),
                                  "headers": KEY_HEADER},
                          **_errors(400, 413, 422, 429, 503)}}},
        "/v1/status/{executionArn}": {"get": {"summary": "Status of a /v1 execution",
            "parameters": [_path_param("executionArn")],
            "responses": {"200": _json(_object(data=_ref("V1Status")), "Status"), **_errors(404, 503)}}},
        "/v1/executions": {"get": {"summary": f"The most recent /v1 executions (at most {MAX_HISTORY}), newest first",
            "parameters": [_query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_HISTORY})],
            "responses": {"200": _json(_object(data={"type": "array", "items": _ref("V1Summary")}), "History"),
                          **_errors(400)}}},
        **_example_paths(),
        **_file_paths(),
        **_admin_paths(),
        **_webhook_paths(),
        **_web_paths(),
    }  # fmt: skip


def _example_paths() -> dict[str, Any]:
    example_set = _object(exampleSetId={"type": "string"}, name={"type": "string"}, description={"type": "string"},
                          createdAt={"type": "string"}, exampleCount={"type": "integer"})  # fmt: skip
    example = _object(exampleId={"type": "string"}, executionId={"type": "string"}, name={"type": "string"},
                      rationale={"type": "string"}, input={"type": "object"}, output={"type": "object"},
                      createdAt={"type": "string"})  # fmt: skip
    promoted = _object(exampleId={"type": "string"}, exampleSetId={"type": "string"}, exampleName={"type": "string"},
                       rationale={"type": "string"}, executionId={"type": "string"})  # fmt: skip
    return {
        "/pipeline-executions/{executionId}/promote-to-example": {"post": {
            "summary": "Keep a succeeded execution's input and output as an example (existing or new set)",
            "parameters": [_path_param("executionId")],
            "requestBody": {"required": True, "content": {JSON: {"schema": _ref("PromoteRequest")}}},
            "responses": {"201": _json(promoted, "Promoted"),
                          "200": _json(promoted, "Promoted earlier into this set: the same example"),
                          **_errors(400, 404, 409, 413, 422, 503)}}},
        "/example-sets": {"get": {"summary": "The tenant's example sets", "responses": {
            "200": _json(_object(data={"type": "array", "items": example_set}), "Example sets"), **_errors()}}},
        "/example-sets/{exampleSetId}": {"get": {"summary": "An example set with its examples",
            "parameters": [_path_param("exampleSetId")],
            "responses": {"200": _json({**example_set, "properties": {**example_set["properties"], "examples": {
                "type": "array", "items": example}}}, "The set"), **_errors(404)}}},
    }  # fmt: skip


def _file_paths() -> dict[str, Any]:
    file = _object(fileId={"type": "string"}, extractionId={"type": "string"}, fileName={"type": "string"},
                   mediaType={"enum": ["application/pdf", "text/plain"]}, sizeBytes={"type": "integer"},
                   sha256={"type": "string"}, pageCount={"type": "integer"}, characterCount={"type": "integer"},
                   createdAt={"type": "string"}, createdBy={"type": "string"})  # fmt: skip
    resolved = {"allOf": [_ref("Citation"), _object(
        fileId={"type": "string"}, fileName={"type": "string"}, pageNumber={"type": "integer"},
        endPageNumber={"type": "integer"}, citedText={"type": "string"})]}  # fmt: skip
    upload = {"type": "object", "required": ["file"],
              "properties": {"file": {"type": "string", "format": "binary",
                                      "description": "A PDF or UTF-8 plain text file"}}}  # fmt: skip
    return {
        "/files": {"post": {
            "summary": "Upload a PDF or text file; its text is extracted at once. Name it in a trigger's input.files",
            "parameters": [IDEMPOTENCY],
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": upload}}},
            "responses": {"201": _json(file, "Uploaded and extracted"),
                          "200": _json(file, "Replayed: uploaded earlier with this Idempotency-Key"),
                          **_errors(400, 413, 415, 422, 503)}}},
        "/files/{fileId}": {"get": {"summary": "An uploaded file's details (not its text)",
            "parameters": [_path_param("fileId")], "responses": {"200": _json(file, "The file"), **_errors(404)}}},
        "/citations/resolve": {"post": {
            "summary": "Resolve pdf_character_range citations into file name, page number and cited text",
            "requestBody": {"required": True, "content": {JSON: {"schema": _ref("ResolveCitationsRequest")}}},
            "responses": {"200": _json(_object(data={"type": "array", "items": resolved}), "Resolved, in order"),
                          **_errors(400, 404, 413, 422)}}},
    }  # fmt: skip


def _webhook_paths() -> dict[str, Any]:
    text, when = {"type": "string"}, {"type": ["string", "null"]}
    webhook = _object(webhookId=text, url=text, eventTypes={"type": "array", "items": text}, description=text,
                      createdAt=text)  # fmt: skip
    created = {**webhook, "properties": {**webhook["properties"], "secret": {
        "type": "string", "description": "whsec_…: verify signatures with it. Shown this once."}},
        "required": [*webhook["required"], "secret"]}  # fmt: skip
    status = {
        "type": "object",
        "required": ["webhookId", "reported", "redeliveryPending"],
        "properties": {
            "webhookId": text,
            "reported": {"type": "boolean", "description": "false until the dispatcher reports"},
            "redeliveryPending": {"type": "boolean"},
            "redeliveryId": when,
            "cursor": {
                "type": "string",
                "description": "partition:offset,… of the events topic: everything before "
                "it is acknowledged; POST …/redeliver takes it as `from`",
            },
            "delivered": {"type": "integer"},
            "lastDeliveredAt": when,
            "lastEventId": when,
            "consecutiveFailures": {"type": "integer"},
            "lastError": when,
            "nextAttemptAt": when,
            "updatedAt": text,
        },
    }
    accepted = _object(webhookId=text, requestId=text, **{"from": text})
    one = [_path_param("webhookId")]
    return {
        "/webhooks": {
            "get": {"summary": "The tenant's webhooks", "responses": {
                "200": _json(_object(data={"type": "array", "items": webhook}), "Webhooks"), **_errors()}},
            "post": {"summary": "Register an endpoint for lifecycle events; the signing secret is in this answer only",
                     "requestBody": {"required": True, "content": {JSON: {"schema": _ref("CreateWebhookRequest")}}},
                     "responses": {"201": {**_json(created, "Registered"), "headers": {"Location": {
                         "description": "The webhook", "schema": text}}}, **_errors(400, 413, 422, 503)}}},
        "/webhooks/{webhookId}": {
            "get": {"summary": "A webhook (never its secret)", "parameters": one,
                    "responses": {"200": _json(webhook, "The webhook"), **_errors(404)}},
            "delete": {"summary": "Delete a webhook: no more deliveries", "parameters": one,
                       "responses": {"204": {"description": "Deleted"}, **_errors(404, 503)}}},
        "/webhooks/{webhookId}/redeliver": {"post": {
            "summary": "Deliver again from a past point (a time, or a cursor); never skips what is unacknowledged",
            "parameters": one,
            "requestBody": {"required": True, "content": {JSON: {"schema": _ref("RedeliverRequest")}}},
            "responses": {"202": _json(accepted, "Requested; the dispatcher goes back when it reads it"),
                          **_errors(400, 404, 413, 422, 503)}}},
        "/webhooks/{webhookId}/deliveries": {"get": {
            "summary": "How far the endpoint is delivered, and its failures, as the dispatcher last reported",
            "parameters": one, "responses": {"200": _json(status, "Delivery status"), **_errors(404)}}},
    }  # fmt: skip


def _admin_paths() -> dict[str, Any]:
    issued = _object(keyId={"type": "string"}, tenantId={"type": "string"},
                     key={"type": "string", "description": "The secret; shown this once."})  # fmt: skip
    admin = "Admin API (on when ADMIN_API_KEY is set; send it as the bearer token, else 404). "
    return {
        "/admin/tenants": {"post": {"summary": admin + "Create a tenant and its first key",
            "requestBody": {"required": True, "content": {JSON: {"schema": _ref("CreateTenantRequest")}}},
            "responses": {"201": _json(_object(tenantId={"type": "string"}, name={"type": "string"}, apiKey=issued),
                                       "Created"), **_errors(400, 404, 422, 503)}}},
        "/admin/tenants/{tenantId}/keys": {"post": {"summary": admin + "Issue another key to a tenant",
            "parameters": [_path_param("tenantId")],
            "responses": {"201": _json(issued, "Issued"), **_errors(404, 503)}}},
        "/admin/keys/{keyId}": {"delete": {"summary": admin + "Revoke a key",
            "parameters": [_path_param("keyId")],
            "responses": {"204": {"description": "Revoked"}, **_errors(404, 503)}}},
    }  # fmt: skip


def _page(summary: str, *statuses: int, params: tuple[str, ...] = (), form: dict[str, Any] | None = None,
          query: tuple[str, ...] = ()) -> dict[str, Any]:  # fmt: skip
    """A web UI route: HTML for people; a 303 sends a visitor without a session to /login."""
    html = {"text/html": {"schema": {"type": "string"}}}
    either = {**html, JSON: {"schema": _ref("ErrorBody")}}  # a page's own errors are HTML; the gateway's, JSON
    responses: dict[str, Any] = {"303": {"description": "See other: where to go next (or /login)"}}
    for status in (200, 400, 401, 403, 404, 409, 413, 415, 422, 429, 503, *statuses):
        responses[str(status)] = {"description": "A page" if status == 200 else "Refused", "content": either}
    operation: dict[str, Any] = {"summary": "Web UI: " + summary, "responses": responses, "security": [],
                                 "parameters": [*(_path_param(p) for p in params),
                                                *(_query(q, {"type": "string"}) for q in query)]}  # fmt: skip
    if form is not None:
        schema = {"type": "object", "properties": form}
        operation["requestBody"] = {"required": True, "content": {FORM: {"schema": schema}}}
    return operation


def _web_paths() -> dict[str, Any]:
    text = {"type": "string"}
    csrf = {"csrf_token": {**text, "description": "The session's CSRF token (or the X-CSRF-Token header)"}}
    return {
        "/": {"get": _page("the pipelines you can run")},
        "/login": {"get": _page("sign-in form", query=("next",)),
                   "post": _page("sign in with an API key; sets an HttpOnly, SameSite=Strict session cookie",
                                 form={"api_key": text, "next": text})},
        "/logout": {"post": _page("sign out (ends the session)", form=csrf)},
        "/history": {"get": _page("a pipeline's executions, newest first", query=("pipelineId", "status", "page"))},
        "/run/{pipelineId}": {"get": _page("trigger form from the pipeline's inputs schema", params=("pipelineId",)),
                              "post": _page("trigger; fields input.<dataInput id>, files (ids, one per line)",
                                            params=("pipelineId",), form={**csrf, "files": text})},
        "/executions/{executionId}": {"get": _page("an execution, live over its SSE stream",
                                                   params=("executionId",))},
        "/executions/{executionId}/cancel": {"post": _page("cancel", params=("executionId",), form=csrf)},
        "/submit": {"get": _page("/v1 submit form"), "post": _page("/v1 generate", form={**csrf, "input": text})},
        "/status": {"get": _page("to the /v1 dashboard, which lists the status pages")},
        "/status/{executionArn}": {"get": _page("/v1 live status page", params=("executionArn",))},
        "/dashboard": {"get": _page("the last 50 /v1 executions")},
        "/static/{name}": {"get": {"summary": "The web UI's CSS and JS", "security": [],
                                   "parameters": [_path_param("name")], "responses": {
            "200": {"description": "An asset", "content": {"text/css": {}, "text/javascript": {}}},
            "304": {"description": "Not modified"},
            "404": {"description": "No such asset",
                    "content": {"text/plain": {}, JSON: {"schema": _ref("ErrorBody")}}}}}},
    }  # fmt: skip


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Execution tracking", "version": "1.0.0",
                 "description": "Pipeline executions as events on Kafka; both the pipeline-executions and /v1 APIs."},
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": _schemas()},
        "paths": _paths(),
    }  # fmt: skip


async def serve_document(request: web.Request) -> web.Response:
    return web.json_response(openapi_document())


async def serve_docs(request: web.Request) -> web.Response:
    return web.Response(text=render_docs(openapi_document()), content_type="text/html")


def setup(app: web.Application) -> None:
    app.router.add_get("/openapi.json", serve_document)
    app.router.add_get("/docs", serve_docs)
