"""Tenants and keys folded from the tenancy events: who a key hash belongs to."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from contracts.pipelines import Pipeline
from contracts.tenancy import (
    ApiKeyIssued,
    ApiKeyRevoked,
    PipelineArchived,
    PipelineRegistered,
    TenancyEvent,
    TenantCreated,
)


@dataclass(frozen=True)
class KeyRecord:
    key_id: str
    tenant_id: str
    key_hash: str
    revoked: bool = False


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
