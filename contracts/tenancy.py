"""Tenants and their API keys as events, on their own topic (`<events topic>.tenancy`).

Keys travel only as sha256 hashes: the secret is shown once, to whoever issued it.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from contracts.envelope import Envelope, EventTime, Frozen
from contracts.events import ExecutionCompleted, ExecutionCreated, ExecutionProgressed, ExecutionStarted
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


WEBHOOK_EVENT_TYPES: tuple[str, ...] = tuple(
    cls.model_fields["type"].default
    for cls in (ExecutionCreated, ExecutionStarted, ExecutionProgressed, ExecutionCompleted)
)
"""What a webhook can subscribe to: the numbered lifecycle events, as the change feed serves them,
in their current versions. A subscription names a type and gets every version of it (see
`event_family`), so a new version does not silently end deliveries of the old subscriptions."""


def event_family(wire_type: str) -> str:
    """`execution.progressed.v2` -> `execution.progressed`: a type whatever its version."""
    name, dot, version = wire_type.rpartition(".")
    return name if dot and version.startswith("v") and version[1:].isdigit() else wire_type


class WebhookRegisteredData(Frozen):
    tenant_id: str
    webhook_id: str
    url: str = Field(min_length=1, max_length=2048)
    event_types: tuple[str, ...] = Field(min_length=1)
    description: str = Field(default="", max_length=500)
    secret_ciphertext: str = Field(description="base64 of nonce + AES-GCM of the signing secret, bound to the ids")
    secret_key_id: str = Field(description="Which service key sealed the secret (a fingerprint, not the key)")


class WebhookDeletedData(Frozen):
    tenant_id: str
    webhook_id: str


class WebhookRedeliveryRequestedData(Frozen):
    """Deliver again from a past point: a time, or per-partition offsets of the events topic."""

    tenant_id: str
    webhook_id: str
    request_id: str
    from_time: EventTime | None = None
    from_positions: dict[int, int] | None = None


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


class WebhookRegistered(Envelope):
    """A tenant's endpoint for its lifecycle events. The secret travels sealed, never in clear."""

    type: Literal["webhook.registered.v1"] = "webhook.registered.v1"
    data: WebhookRegisteredData


class WebhookDeleted(Envelope):
    type: Literal["webhook.deleted.v1"] = "webhook.deleted.v1"
    data: WebhookDeletedData


class WebhookRedeliveryRequested(Envelope):
    type: Literal["webhook.redelivery_requested.v1"] = "webhook.redelivery_requested.v1"
    data: WebhookRedeliveryRequestedData


TenancyEvent = Annotated[
    TenantCreated
    | ApiKeyIssued
    | ApiKeyRevoked
    | PipelineRegistered
    | PipelineArchived
    | WebhookRegistered
    | WebhookDeleted
    | WebhookRedeliveryRequested,
    Field(discriminator="type"),
]

TENANCY_ADAPTER: TypeAdapter[TenancyEvent] = TypeAdapter(TenancyEvent)
TENANCY_CLASSES: tuple[type[Envelope], ...] = (
    TenantCreated,
    ApiKeyIssued,
    ApiKeyRevoked,
    PipelineRegistered,
    PipelineArchived,
    WebhookRegistered,
    WebhookDeleted,
    WebhookRedeliveryRequested,
)


def hash_key(secret: str) -> str:
    """How a key is kept: its sha256, hex. The secret itself is never stored or sent on."""
    return hashlib.sha256(secret.encode()).hexdigest()
