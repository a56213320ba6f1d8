"""Which log records go to which endpoint, and the id each delivery carries."""

from __future__ import annotations

import hashlib

from contracts.codec import UndecodableEvent, decode
from contracts.events import ExecutionEvent
from contracts.tenancy import event_family
from projections.directory import WebhookRecord


def wanted(record: WebhookRecord, event: ExecutionEvent) -> bool:
    """The endpoint's own tenant's events of the types it asked for, and nothing else."""
    families = {event_family(t) for t in record.event_types}
    return event.tenantid == record.tenant_id and event_family(event.type) in families


def event_for(record: WebhookRecord, value: bytes | None) -> ExecutionEvent | None:
    """The event in a record's value when this endpoint wants it; None otherwise (undecodable too:
    the gateway's projection quarantines those, and there is nothing a receiver could do with one)."""
    try:
        event = decode(value)
    except UndecodableEvent:
        return None
    return event if wanted(record, event) else None


def message_id(webhook_id: str, event_id: str) -> str:
    """Stable per (webhook, event): every attempt, restart and redelivery of one event to one
    endpoint carries the same `webhook-id`, so receivers can drop repeats."""
    return "msg_" + hashlib.sha256(f"{webhook_id}\n{event_id}".encode()).hexdigest()[:32]
