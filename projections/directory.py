"""Tenants and keys folded from the tenancy events: who a key hash belongs to."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from contracts.pipelines import Pipeline
from contracts.tenancy import (
    ApiKeyIssued,
    ApiKeyRevoked,
    PipelineArchived,
    PipelineRegistered,
    TenancyEvent,
    TenantCreated,
    WebhookDeleted,
    WebhookRedeliveryRequested,
    WebhookRegistered,
)


@dataclass(frozen=True)
class KeyRecord:
    key_id: str
    tenant_id: str
    key_hash: str
    revoked: bool = False


@dataclass(frozen=True)
class Redelivery:
    """The latest request to deliver a webhook's events again from a past point."""

    request_id: str
    from_time: datetime | None
    from_positions: tuple[tuple[int, int], ...] | None
    """(partition, offset) pairs of the events topic."""


@dataclass(frozen=True)
class WebhookRecord:
    webhook_id: str
    tenant_id: str
    url: str
    event_types: frozenset[str]
    description: str
    secret_ciphertext: str
    secret_key_id: str
    created_at: datetime
    redelivery: Redelivery | None = None


@dataclass(frozen=True)
class Directory:
    tenants: dict[str, str] = field(default_factory=dict)
    """Tenant id -> name."""
    keys: dict[str, KeyRecord] = field(default_factory=dict)
    """Key id -> record."""
    active: dict[str, KeyRecord] = field(default_factory=dict)
    """Key hash -> record, for keys not revoked."""
    pipelines: dict[str, tuple[str, Pipeline]] = field(default_factory=dict)
    """Pipeline id -> (owning tenant id, pipeline), archived ones included."""
    archived: frozenset[str] = frozenset()
    """Ids of pipelines taken out of use: listed and triggerable no more, kept for their history."""
    webhooks: dict[str, WebhookRecord] = field(default_factory=dict)
    """Webhook id -> endpoint, for those not deleted."""
    deleted_webhooks: frozenset[str] = frozenset()
    """Kept so that a registration appended twice cannot bring a deleted endpoint back."""


def evolve_directory(directory: Directory, event: TenancyEvent) -> Directory:
    """Pure: unknown tenants' keys and repeats change nothing, so replays are safe."""
    if isinstance(event, TenantCreated):
        if event.data.tenant_id in directory.tenants:
            return directory
        return replace(directory, tenants={**directory.tenants, event.data.tenant_id: event.data.name})
    if isinstance(event, PipelineRegistered):
        pipeline = event.data.pipeline
        if pipeline.pipeline_id in directory.pipelines:
            return directory
        owned = (event.data.tenant_id, pipeline)
        return replace(directory, pipelines={**directory.pipelines, pipeline.pipeline_id: owned})
    if isinstance(event, PipelineArchived):
        owner, _ = directory.pipelines.get(event.data.pipeline_id, (None, None))
        if owner != event.data.tenant_id:
            return directory  # not the tenant's own: nothing to archive
        return replace(directory, archived=directory.archived | {event.data.pipeline_id})
    if isinstance(event, WebhookRegistered | WebhookDeleted | WebhookRedeliveryRequested):
        return evolve_webhooks(directory, event)
    if isinstance(event, ApiKeyIssued):
        data = event.data
        if data.tenant_id not in directory.tenants or data.key_id in directory.keys:
            return directory
        record = KeyRecord(data.key_id, data.tenant_id, data.key_hash)
        return replace(
            directory,
            keys={**directory.keys, data.key_id: record},
            active={**directory.active, data.key_hash: record},
        )
    assert isinstance(event, ApiKeyRevoked)
    known = directory.keys.get(event.data.key_id)
    if known is None or known.tenant_id != event.data.tenant_id or known.revoked:
        return directory
    active = {h: k for h, k in directory.active.items() if k.key_id != known.key_id}
    return replace(directory, keys={**directory.keys, known.key_id: replace(known, revoked=True)}, active=active)


def evolve_webhooks(
    directory: Directory, event: WebhookRegistered | WebhookDeleted | WebhookRedeliveryRequested
) -> Directory:
    """Repeats and other tenants' ids change nothing: a webhook is only ever its own tenant's."""
    webhook_id = event.data.webhook_id
    if isinstance(event, WebhookRegistered):
        if webhook_id in directory.webhooks or webhook_id in directory.deleted_webhooks:
            return directory
        data = event.data
        record = WebhookRecord(
            webhook_id, data.tenant_id, data.url, frozenset(data.event_types), data.description,
            data.secret_ciphertext, data.secret_key_id, event.time,
        )  # fmt: skip
        return replace(directory, webhooks={**directory.webhooks, webhook_id: record})
    known = directory.webhooks.get(webhook_id)
    if known is None or known.tenant_id != event.data.tenant_id:
        return directory
    if isinstance(event, WebhookDeleted):
        webhooks = {k: v for k, v in directory.webhooks.items() if k != webhook_id}
        return replace(directory, webhooks=webhooks, deleted_webhooks=directory.deleted_webhooks | {webhook_id})
    positions = event.data.from_positions
    redelivery = Redelivery(
        event.data.request_id, event.data.from_time, tuple(sorted(positions.items())) if positions is not None else None
    )
    return replace(directory, webhooks={**directory.webhooks, webhook_id: replace(known, redelivery=redelivery)})
