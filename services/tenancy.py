"""Pure decisions about tenants and keys, shared by the admin API and the command line.

Ids, secrets and time are arguments, so these are tested without randomness.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts.envelope import Envelope, envelope_attributes
from contracts.tenancy import (
    ApiKeyIssued,
    ApiKeyIssuedData,
    ApiKeyRevoked,
    ApiKeyRevokedData,
    TenantCreated,
    TenantCreatedData,
    hash_key,
)
from projections.directory import Directory

SOURCE = "/admin"


class UnknownTenant(Exception):
    pass


class UnknownKey(Exception):
    pass


@dataclass(frozen=True)
class Issued:
    """A new key: the secret is returned once and stored nowhere."""

    key_id: str
    tenant_id: str
    secret: str


@dataclass(frozen=True)
class AdminContext:
    actor: str
    now: datetime
    event_id: str


def new_tenant_id() -> str:
    return "tnt_" + secrets.token_hex(8)


def new_key() -> tuple[str, str]:
    """A key id and its secret."""
    return "key_" + secrets.token_hex(8), "etk_" + secrets.token_urlsafe(32)


def _envelope(ctx: AdminContext, subject: str, suffix: str) -> dict[str, Any]:
    return envelope_attributes(event_id=f"{ctx.event_id}-{suffix}", source=SOURCE, subject=subject, time=ctx.now,
                               tenant_id=subject, actor=ctx.actor, correlation_id=ctx.event_id)  # fmt: skip


def decide_create_tenant(
    name: str, tenant_id: str, key: tuple[str, str], ctx: AdminContext
) -> tuple[list[Envelope], Issued]:
    data = TenantCreatedData(tenant_id=tenant_id, name=name)
    created = TenantCreated(**_envelope(ctx, tenant_id, "tenant"), data=data)
    events, issued = decide_issue_key(Directory(tenants={tenant_id: name}), tenant_id, key, ctx)
    return [created, *events], issued


def decide_issue_key(
    directory: Directory, tenant_id: str, key: tuple[str, str], ctx: AdminContext
) -> tuple[list[Envelope], Issued]:
    if tenant_id not in directory.tenants:
        raise UnknownTenant(tenant_id)
    key_id, secret = key
    data = ApiKeyIssuedData(key_id=key_id, tenant_id=tenant_id, key_hash=hash_key(secret))
    return [ApiKeyIssued(**_envelope(ctx, tenant_id, "key"), data=data)], Issued(key_id, tenant_id, secret)


def decide_revoke_key(directory: Directory, key_id: str, ctx: AdminContext) -> list[Envelope]:
    record = directory.keys.get(key_id)
    if record is None or record.revoked:
        raise UnknownKey(key_id)
    data = ApiKeyRevokedData(key_id=key_id, tenant_id=record.tenant_id)
    return [ApiKeyRevoked(**_envelope(ctx, record.tenant_id, "revoke"), data=data)]
