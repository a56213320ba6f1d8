"""Pure decisions about a tenant's webhooks: a request and the directory in, events out.

Ids, the secret, time and the sealing box are arguments, so these are tested without
randomness, a clock or a broker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import Field

from contracts.envelope import EARLIEST, LATEST, Frozen
from contracts.tenancy import (
    WEBHOOK_EVENT_TYPES,
    WebhookDeleted,
    WebhookDeletedData,
    WebhookRedeliveryRequested,
    WebhookRedeliveryRequestedData,
    WebhookRegistered,
    WebhookRegisteredData,
    event_family,
)
from projections.directory import WebhookRecord
from services.gateway.commands import CommandContext
from services.webhooks.secrets import SecretBox
from services.webhooks.targets import url_problems

MAX_WEBHOOKS_PER_TENANT = 20
MAX_PARTITION = 10_000

Problem = dict[str, str]


class CreateWebhookRequest(Frozen):
    url: str = Field(min_length=1, max_length=4096, description="https URL that receives the events")
    event_types: list[str] = Field(
        min_length=1, max_length=len(WEBHOOK_EVENT_TYPES), description=f"Some of {', '.join(WEBHOOK_EVENT_TYPES)}"
    )
    description: str = Field(default="", max_length=500)


class RedeliverRequest(Frozen):
    from_: str = Field(
        alias="from",
        min_length=1,
        max_length=2000,
        description="An RFC 3339 time with its offset, or events-topic positions as `partition:offset,...` "
        "(the `cursor` of GET /webhooks/{id}/deliveries)",
    )


class InvalidWebhook(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("The webhook is not valid.")
        self.problems = problems


@dataclass(frozen=True)
class WebhookPolicy:
    allow_private_targets: bool = False


def current_type(wire_type: str) -> str | None:
    """The current version of a lifecycle type named in any of its versions; None if it is none."""
    return next((t for t in WEBHOOK_EVENT_TYPES if event_family(t) == event_family(wire_type)), None)


def registration_problems(request: CreateWebhookRequest, policy: WebhookPolicy) -> list[Problem]:
    problems = [{"field": "url", "problem": p} for p in url_problems(request.url, policy.allow_private_targets)]
    unknown = [t for t in request.event_types if current_type(t) is None]
    if unknown:
        known = ", ".join(WEBHOOK_EVENT_TYPES)
        problems.append({"field": "eventTypes", "problem": f"unknown event types {unknown}; each one of: {known}"})
    return problems


def decide_register(
    request: CreateWebhookRequest,
    webhook_id: str,
    secret: str,
    box: SecretBox,
    policy: WebhookPolicy,
    ctx: CommandContext,
) -> WebhookRegistered:
    problems = registration_problems(request, policy)
    if problems:
        raise InvalidWebhook(problems)
    tenant_id = ctx.principal.tenant_id
    data = WebhookRegisteredData(
        tenant_id=tenant_id,
        webhook_id=webhook_id,
        url=request.url,
        event_types=tuple(t for t in WEBHOOK_EVENT_TYPES if t in map(current_type, request.event_types)),
        description=request.description,
        secret_ciphertext=box.seal(secret, tenant_id, webhook_id),
        secret_key_id=box.key_id,
    )
    return WebhookRegistered(**ctx.envelope(webhook_id), data=data)


def decide_delete(record: WebhookRecord, ctx: CommandContext) -> WebhookDeleted:
    data = WebhookDeletedData(tenant_id=record.tenant_id, webhook_id=record.webhook_id)
    return WebhookDeleted(**ctx.envelope(record.webhook_id), data=data)


def parse_from_point(text: str) -> datetime | dict[int, int]:
    """A time (RFC 3339, with its offset) or positions (`partition:offset,...`)."""
    if ":" in text and all(part.strip().replace(":", "", 1).isdigit() for part in text.split(",")):
        return _positions(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or not EARLIEST <= moment < LATEST:
        raise InvalidWebhook([{"field": "from", "problem": "not an RFC 3339 time with its offset "
                               "(e.g. 2026-01-01T12:00:00Z) nor positions like 0:12,1:40"}])  # fmt: skip
    return moment


def _positions(text: str) -> dict[int, int]:
    positions: dict[int, int] = {}
    for part in text.split(","):
        partition, offset = (int(n) for n in part.strip().split(":"))
        if partition > MAX_PARTITION or offset >= 2**63:
            raise InvalidWebhook([{"field": "from", "problem": f"position {part.strip()} is out of range"}])
        positions[partition] = offset
    return positions


def decide_redeliver(
    record: WebhookRecord, from_point: datetime | dict[int, int], request_id: str, ctx: CommandContext
) -> WebhookRedeliveryRequested:
    at_time = from_point if isinstance(from_point, datetime) else None
    positions = from_point if isinstance(from_point, dict) else None
    data = WebhookRedeliveryRequestedData(
        tenant_id=record.tenant_id,
        webhook_id=record.webhook_id,
        request_id=request_id,
        from_time=at_time,
        from_positions=positions,
    )
    return WebhookRedeliveryRequested(**ctx.envelope(record.webhook_id), data=data)


def webhook_to_api(record: WebhookRecord) -> dict[str, Any]:
    """The resource as the API shows it: never the secret, sealed or not."""
    return {
        "webhookId": record.webhook_id,
        "url": record.url,
        "eventTypes": sorted(record.event_types, key=_type_order),
        "description": record.description,
        "createdAt": record.created_at.isoformat(),
    }


def _type_order(wire_type: str) -> int:
    families = [event_family(t) for t in WEBHOOK_EVENT_TYPES]
    family = event_family(wire_type)
    return families.index(family) if family in families else len(families)
