"""Tenants and their API keys as events, on their own topic (`<events topic>.tenancy`).

Keys travel only as sha256 hashes: the secret is shown once, to whoever issued it.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from contracts.envelope import Envelope, Frozen
from contracts.pipelines import Pipeline


class TenantCreatedData(Frozen):
    tenant_id: str
    name: str = Field(min_length=1, max_length=200)


class ApiKeyIssuedData(Frozen):
    key_id: str
    tenant_id: str
    key_hash: str = Field(pattern="^[0-9a-f]{64}$")


class ApiKeyRevokedData(Frozen):
    key_id: str
    tenant_id: str


class PipelineRegisteredData(Frozen):
    tenant_id: str
    pipeline: Pipeline


class PipelineArchivedData(Frozen):
    tenant_id: str
    pipeline_id: str


class TenantCreated(Envelope):
    type: Literal["tenant.created.v1"] = "tenant.created.v1"
    data: TenantCreatedData


class ApiKeyIssued(Envelope):
    type: Literal["apikey.issued.v1"] = "apikey.issued.v1"
    data: ApiKeyIssuedData


class ApiKeyRevoked(Envelope):
    type: Literal["apikey.revoked.v1"] = "apikey.revoked.v1"
    data: ApiKeyRevokedData


class PipelineRegistered(Envelope):
    """A tenant's own pipeline; only that tenant sees and triggers it."""

    type: Literal["pipeline.registered.v1"] = "pipeline.registered.v1"
    data: PipelineRegisteredData


class PipelineArchived(Envelope):
    """A tenant's pipeline taken out of use: no new triggers; its executions keep their history."""

    type: Literal["pipeline.archived.v1"] = "pipeline.archived.v1"
    data: PipelineArchivedData


TenancyEvent = Annotated[
    TenantCreated | ApiKeyIssued | ApiKeyRevoked | PipelineRegistered | PipelineArchived, Field(discriminator="type")
]

TENANCY_ADAPTER: TypeAdapter[TenancyEvent] = TypeAdapter(TenancyEvent)
TENANCY_CLASSES: tuple[type[Envelope], ...] = (
    TenantCreated,
    ApiKeyIssued,
    ApiKeyRevoked,
    PipelineRegistered,
    PipelineArchived,
)


def hash_key(secret: str) -> str:
    """How a key is kept: its sha256, hex. The secret itself is never stored or sent on."""
    return hashlib.sha256(secret.encode()).hexdigest()
