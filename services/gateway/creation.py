"""Creating an execution, shared by both API surfaces, with `Idempotency-Key` honoured.

The key's first use is recorded in the read model from the `Created` event
itself, so every replica that has folded the log agrees on it. Within one
replica, a lock per key keeps two concurrent retries from both creating.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from aiohttp import web

from contracts.api import TriggerRequest
from contracts.pipelines import Pipeline
from projections.state import ExecutionState, evolve
from services.gateway import keys
from services.gateway.appending import append_and_wait, command_context
from services.gateway.commands import CommandContext, InvalidInput, decide_trigger, request_fingerprint
from services.gateway.errors import ApiError, not_ready

MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Creation:
    state: ExecutionState
    replayed: bool
    """True when an earlier request with the same key and body already created it."""


def new_execution_id() -> str:
    return secrets.token_urlsafe(16)[:21]


def idempotency_key(request: web.Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise ApiError(400, "BadRequest", f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.")
    return key


async def create_execution(request: web.Request, pipeline: Pipeline, body: TriggerRequest) -> Creation:
    ctx = replace(command_context(request), idempotency_key=idempotency_key(request))
    await _caught_up(request.app)
    if ctx.idempotency_key is None:
        return await _create(request, pipeline, body, ctx)
    async with request.app[keys.KEY_LOCKS].lock(ctx.principal.tenant_id, ctx.idempotency_key):
        earlier = await _earlier_creation(request, pipeline, body, ctx.principal.tenant_id, ctx.idempotency_key)
        return earlier or await _create(request, pipeline, body, ctx)


async def _caught_up(app: web.Application) -> None:
    """Keys and limits are read from the read model: a replica still folding the log must not judge."""
    try:
        await app[keys.RUNNER].wait_caught_up(app[keys.SETTINGS].read_your_writes_timeout_s)
    except TimeoutError:
        raise not_ready("still catching up with the event log") from None


async def _create(request: web.Request, pipeline: Pipeline, body: TriggerRequest, ctx: CommandContext) -> Creation:
    try:
        created = decide_trigger(pipeline, body, new_execution_id(), ctx)
    except InvalidInput as error:
        raise ApiError(422, "InputValidationFailed", str(error), error.problems) from error
    async with request.app[keys.LIMITS].admit(ctx.principal):
        await append_and_wait(request.app, created)
    return Creation(evolve(None, created), replayed=False)


async def _earlier_creation(
    request: web.Request, pipeline: Pipeline, body: TriggerRequest, tenant_id: str, key: str
) -> Creation | None:
    read_model = request.app[keys.READ_MODEL]
    earlier = await read_model.find_idempotent(tenant_id, key)
    if earlier is None:
        return None
    if earlier.fingerprint != request_fingerprint(pipeline.pipeline_id, body):
        raise ApiError(
            422,
            "IdempotencyKeyReused",
            "This Idempotency-Key was already used with another request body or pipeline; use a new key.",
        )
    state = await read_model.get(tenant_id, earlier.execution_id)
    assert state is not None  # the key row and the execution row are written together
    return Creation(state, replayed=True)
