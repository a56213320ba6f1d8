"""The admin API: tenants and their keys. Off unless ADMIN_API_KEY is set; guarded by it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from aiohttp import web
from pydantic import Field

from contracts.envelope import Frozen
from services.gateway import keys
from services.gateway.appending import append_to_directory
from services.gateway.errors import ApiError
from services.gateway.requests import read_body
from services.tenancy import (
    AdminContext,
    Issued,
    UnknownKey,
    UnknownTenant,
    decide_create_tenant,
    decide_issue_key,
    decide_revoke_key,
    new_key,
    new_tenant_id,
)


class CreateTenantRequest(Frozen):
    name: str = Field(min_length=1, max_length=200)


def _context() -> AdminContext:
    return AdminContext(actor="admin", now=datetime.now(UTC), event_id=str(uuid.uuid4()))


def _issued_body(issued: Issued) -> dict[str, str]:
    return {"keyId": issued.key_id, "tenantId": issued.tenant_id, "key": issued.secret}


async def create_tenant(request: web.Request) -> web.Response:
    body = await read_body(request, CreateTenantRequest)
    tenant_id = new_tenant_id()
    events, issued = decide_create_tenant(body.name, tenant_id, new_key(), _context())
    await append_to_directory(request.app, events)
    return web.json_response({"tenantId": tenant_id, "name": body.name, "apiKey": _issued_body(issued)}, status=201)


async def issue_key(request: web.Request) -> web.Response:
    directory = request.app[keys.DIRECTORY].directory
    try:
        events, issued = decide_issue_key(directory, request.match_info["tenant_id"], new_key(), _context())
    except UnknownTenant:
        raise ApiError(404, "NotFound", "No tenant with this id.") from None
    await append_to_directory(request.app, events)
    return web.json_response(_issued_body(issued), status=201)


async def revoke_key(request: web.Request) -> web.Response:
    directory = request.app[keys.DIRECTORY].directory
    try:
        events = decide_revoke_key(directory, request.match_info["key_id"], _context())
    except UnknownKey:
        raise ApiError(404, "NotFound", "No active key with this id.") from None
    await append_to_directory(request.app, events)
    return web.Response(status=204)


def setup(app: web.Application) -> None:
    app.router.add_post("/admin/tenants", create_tenant)
    app.router.add_post("/admin/tenants/{tenant_id}/keys", issue_key)
    app.router.add_delete("/admin/keys/{key_id}", revoke_key)
