"""Creating an execution, shared by both API surfaces, with `Idempotency-Key` honoured.

Every creation has a key: the client's, or one the gateway makes and returns. The execution
id is derived from the tenant and the key, so every attempt with one key names one execution:
an append repeated after an unconfirmed send is a duplicate every reader skips, never a second
execution. The key's first use is recorded in the read model from the `Created` event itself,
so every replica that has folded the log agrees on it; within one replica, a lock per key keeps
two concurrent retries from both creating, and a send whose outcome is still unknown is waited
for before a retry decides.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from dataclasses import dataclass, replace

from aiohttp import web

from contracts.api import TriggerRequest
from contracts.pipelines import Pipeline
from projections.state import ExecutionState, evolve
from services.gateway import keys
from services.gateway.appending import append, command_context, wait_applied
from services.gateway.commands import CommandContext, InvalidInput, decide_trigger, request_fingerprint
from services.gateway.errors import ApiError, not_ready, outcome_unknown
from services.kafka_io import OutcomeUnknown

MAX_KEY_LENGTH = 255
GENERATED_KEY_PREFIX = "gen_"


@dataclass(frozen=True)
class Creation:
    state: ExecutionState
    replayed: bool
    """True when an earlier request with the same key and body already created it."""
    idempotency_key: str

    @property
    def headers(self) -> dict[str, str]:
        """What a client needs to retry this creation safely, and whether this was a retry."""
        replayed = {"Idempotent-Replayed": "true"} if self.replayed else {}
        location = f"/pipeline-executions/{self.state.execution_id}"
        return {"Idempotency-Key": self.idempotency_key, "Location": location, **replayed}


def execution_id_for(tenant_id: str, key: str) -> str:
    """21 url-safe characters, the same for every attempt with this tenant and key."""
    digest = hashlib.sha256(f"{tenant_id}\n{key}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:21]


def idempotency_key(request: web.Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise ApiError(400, "BadRequest", f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.")
    return key


async def create_execution(request: web.Request, pipeline: Pipeline, body: TriggerRequest) -> Creation:
    if pipeline.pipeline_id in request.app[keys.DIRECTORY].directory.archived:
        raise ApiError(409, "PipelineArchived", "This pipeline is archived: it takes no new executions.")
    given = idempotency_key(request)
    key = given or GENERATED_KEY_PREFIX + secrets.token_urlsafe(18)
    ctx = replace(command_context(request), idempotency_key=key)
    await _caught_up(request.app)
    if given is None:
        return await _create(request, pipeline, body, ctx)  # a fresh key: nothing earlier to find
    tenant_id = ctx.principal.tenant_id
    async with request.app[keys.KEY_LOCKS].lock(tenant_id, key):
        await _settle(request.app, tenant_id, key)
        earlier = await _earlier_creation(request, pipeline, body, tenant_id, key)
        return earlier or await _create(request, pipeline, body, ctx)


async def _caught_up(app: web.Application) -> None:
    """Keys and limits are read from the read model: a replica still folding the log must not judge."""
    try:
        await app[keys.RUNNER].wait_caught_up(app[keys.SETTINGS].read_your_writes_timeout_s)
    except TimeoutError:
        raise not_ready("still catching up with the event log") from None


async def _create(request: web.Request, pipeline: Pipeline, body: TriggerRequest, ctx: CommandContext) -> Creation:
    key, tenant_id = ctx.idempotency_key, ctx.principal.tenant_id
    assert key is not None
    execution_id = execution_id_for(tenant_id, key)
    try:
        created = decide_trigger(pipeline, body, execution_id, ctx)
    except InvalidInput as error:
        raise ApiError(422, "InputValidationFailed", str(error), error.problems) from error
    app = request.app
    async with app[keys.LIMITS].admit(ctx.principal):
        try:
            metadata = await append(app, app[keys.PUBLISHER], created)
        except OutcomeUnknown as error:
            app[keys.UNSETTLED].remember(tenant_id, key, error.delivery)
            raise _creation_unknown(execution_id, key) from error
        await wait_applied(app, metadata)
    return Creation(evolve(None, created), replayed=False, idempotency_key=key)


async def _settle(app: web.Application, tenant_id: str, key: str) -> None:
    """An earlier attempt with this key whose send was unconfirmed: learn how it ended first."""
    delivery = app[keys.UNSETTLED].get(tenant_id, key)
    if delivery is None:
        return
    execution_id = execution_id_for(tenant_id, key)
    try:
        metadata = await asyncio.wait_for(asyncio.shield(delivery), app[keys.SETTINGS].kafka.send_timeout_s)
    except TimeoutError:
        raise _creation_unknown(execution_id, key, " (an earlier attempt with this key is still being sent)") from None
    except Exception:
        app[keys.UNSETTLED].forget(tenant_id, key)
        return  # not confirmed: appending again names the same execution, so it is there at most once
    app[keys.UNSETTLED].forget(tenant_id, key)
    await wait_applied(app, metadata)


def _creation_unknown(execution_id: str, key: str, note: str = "") -> ApiError:
    return outcome_unknown(
        f"the creation of execution {execution_id}{note}",
        body={"executionId": execution_id, "idempotencyKey": key},
        headers={"Idempotency-Key": key, "Location": f"/pipeline-executions/{execution_id}"},
    )


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
    return Creation(state, replayed=True, idempotency_key=key)
