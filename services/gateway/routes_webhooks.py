"""Webhook routes: a tenant's endpoints (registered, listed, deleted as tenancy events), requests
to deliver again from a past point, and what the dispatcher last reported about each one.

Secrets are made here and shown once, in the 201; the log holds them sealed (services/webhooks/secrets.py).
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from projections.directory import WebhookRecord
from projections.kafka_client import make_reader
from services.gateway import keys
from services.gateway.appending import append_to_directory, command_context
from services.gateway.auth import principal_of
from services.gateway.errors import ApiError
from services.gateway.registry_limits import room_for
from services.gateway.requests import read_body
from services.webhooks.progress import Progress, ProgressFollower, ensure_progress_topic, progress_topic
from services.webhooks.registration import (
    MAX_WEBHOOKS_PER_TENANT,
    CreateWebhookRequest,
    InvalidWebhook,
    RedeliverRequest,
    WebhookPolicy,
    decide_delete,
    decide_redeliver,
    decide_register,
    parse_from_point,
    webhook_to_api,
)
from services.webhooks.secrets import SecretBox, load_box, new_signing_secret
from services.webhooks.settings import allow_private_targets


@dataclass(frozen=True)
class WebhookParts:
    box: SecretBox
    policy: WebhookPolicy
    progress: ProgressFollower


WEBHOOKS = web.AppKey("webhooks", WebhookParts)


def owned_webhooks(request: web.Request) -> list[WebhookRecord]:
    tenant_id = principal_of(request).tenant_id
    webhooks = request.app[keys.DIRECTORY].directory.webhooks.values()
    return sorted((w for w in webhooks if w.tenant_id == tenant_id), key=lambda w: (w.created_at, w.webhook_id))


def owned_webhook(request: web.Request) -> WebhookRecord:
    record = request.app[keys.DIRECTORY].directory.webhooks.get(request.match_info["webhook_id"])
    if record is None or record.tenant_id != principal_of(request).tenant_id:
        raise ApiError(404, "NotFound", "No webhook with this id.")  # another tenant's looks like none
    return record


def invalid(error: InvalidWebhook) -> ApiError:
    return ApiError(422, "InputValidationFailed", "The webhook request is not valid.", error.problems)


async def create_webhook(request: web.Request) -> web.Response:
    body = await read_body(request, CreateWebhookRequest)
    room_for("webhooks per tenant", len(owned_webhooks(request)), MAX_WEBHOOKS_PER_TENANT)
    parts = request.app[WEBHOOKS]
    secret = new_signing_secret()
    try:
        event = decide_register(
            body, f"wh_{secrets.token_urlsafe(12)}", secret, parts.box, parts.policy, command_context(request)
        )
    except InvalidWebhook as error:
        raise invalid(error) from error
    await append_to_directory(request.app, [event])
    created = request.app[keys.DIRECTORY].directory.webhooks[event.data.webhook_id]
    location = f"/webhooks/{created.webhook_id}"
    # The secret is in this answer only: the log and every later answer have it sealed or not at all.
    return web.json_response({**webhook_to_api(created), "secret": secret}, status=201, headers={"Location": location})


async def list_webhooks(request: web.Request) -> web.Response:
    return web.json_response({"data": [webhook_to_api(w) for w in owned_webhooks(request)]})


async def get_webhook(request: web.Request) -> web.Response:
    return web.json_response(webhook_to_api(owned_webhook(request)))


async def delete_webhook(request: web.Request) -> web.Response:
    record = owned_webhook(request)
    await append_to_directory(request.app, [decide_delete(record, command_context(request))])
    return web.Response(status=204)


async def redeliver(request: web.Request) -> web.Response:
    """Accepted, not done: the dispatcher moves the endpoint's cursor back when it reads the request."""
    record = owned_webhook(request)
    body = await read_body(request, RedeliverRequest)
    try:
        event = decide_redeliver(record, parse_from_point(body.from_), str(uuid.uuid4()), command_context(request))
    except InvalidWebhook as error:
        raise invalid(error) from error
    await append_to_directory(request.app, [event])
    accepted = {"webhookId": record.webhook_id, "requestId": event.data.request_id, "from": body.from_}
    return web.json_response(accepted, status=202, headers={"Location": f"/webhooks/{record.webhook_id}/deliveries"})


async def deliveries(request: web.Request) -> web.Response:
    record = owned_webhook(request)
    progress = request.app[WEBHOOKS].progress.latest.get(record.webhook_id)
    return web.json_response(delivery_status(record, progress))


def delivery_status(record: WebhookRecord, progress: Progress | None) -> dict[str, Any]:
    """What the dispatcher last reported (at `updatedAt`); `reported` is false until it has."""
    asked = record.redelivery.request_id if record.redelivery else None
    if progress is None:
        return {"webhookId": record.webhook_id, "reported": False, "redeliveryPending": asked is not None}
    shown = progress.model_dump(mode="json", by_alias=True, exclude={"webhook_id", "tenant_id", "cursor"})
    return {
        "webhookId": record.webhook_id,
        "reported": True,
        **shown,
        "cursor": progress.cursor_text(),
        "redeliveryPending": asked is not None and asked != progress.redelivery_id,
    }


async def _webhook_parts(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    await ensure_progress_topic(settings.kafka)
    follower = ProgressFollower(
        lambda: make_reader(settings.kafka.bootstrap_servers, client_id=f"{settings.instance_id}-webhook-progress"),
        progress_topic(settings.kafka.events_topic),
    )
    await follower.start()
    # The same key as the dispatcher's: env WEBHOOK_SECRETS_KEY, else the file in the shared DATA_DIR.
    app[WEBHOOKS] = WebhookParts(
        load_box(os.environ, settings.data_dir), WebhookPolicy(allow_private_targets(os.environ)), follower
    )
    yield
    await follower.stop()


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(_webhook_parts)
    app.router.add_get("/webhooks", list_webhooks)
    app.router.add_post("/webhooks", create_webhook)
    app.router.add_get("/webhooks/{webhook_id}", get_webhook)
    app.router.add_delete("/webhooks/{webhook_id}", delete_webhook)
    app.router.add_post("/webhooks/{webhook_id}/redeliver", redeliver)
    app.router.add_get("/webhooks/{webhook_id}/deliveries", deliveries)
