"""Appending a command's event to the log, with read-your-writes for the caller."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from aiohttp import web
from aiokafka.structs import RecordMetadata

from contracts.envelope import Envelope
from services.gateway import keys
from services.gateway.auth import principal_of
from services.gateway.commands import CommandContext
from services.gateway.errors import ApiError, broker_unavailable, outcome_unknown
from services.gateway.requests import correlation_id
from services.kafka_io import EventPublisher, OutcomeUnknown, PublishFailed, RecordTooLarge

log = logging.getLogger(__name__)


def command_context(request: web.Request) -> CommandContext:
    """The inputs a decision may not invent: caller, time, ids."""
    return CommandContext(
        principal=principal_of(request),
        now=datetime.now(UTC),
        event_id=str(uuid.uuid4()),
        correlation_id=correlation_id(request),
    )


async def append(app: web.Application, publisher: EventPublisher, event: Envelope) -> RecordMetadata:
    """Append one event. Failures before the send become exact answers (nothing recorded); an
    unconfirmed send raises `OutcomeUnknown` for the caller to word, as only it knows what to retry."""
    async with app[keys.APPEND_GATE].slot():
        try:
            return await publisher.publish(event)
        except RecordTooLarge as error:
            raise ApiError(413, "ContextTooLarge", f"{error}; send a smaller input.") from error
        except OutcomeUnknown:
            raise
        except PublishFailed as error:
            log.warning("%s", error)
            raise broker_unavailable() from error


async def publish(app: web.Application, publisher: EventPublisher, event: Envelope) -> RecordMetadata:
    """Append one event whose command is safe to send again (every reader skips a repeat)."""
    try:
        return await append(app, publisher, event)
    except OutcomeUnknown as error:
        log.warning("%s", error)
        raise outcome_unknown("this change") from error


async def append_and_wait(app: web.Application, event: Envelope) -> None:
    """Append to the log, then wait until this gateway's read model holds it."""
    await wait_applied(app, await publish(app, app[keys.PUBLISHER], event))


async def wait_applied(app: web.Application, metadata: RecordMetadata) -> None:
    timeout = app[keys.SETTINGS].read_your_writes_timeout_s
    try:
        await app[keys.RUNNER].wait_for(metadata.partition, metadata.offset, timeout)
    except TimeoutError:
        # Recorded on the log; the read model is just behind. A read waits for it (execution_lookup).
        log.warning("read model did not reach %s:%s within %ss", metadata.partition, metadata.offset, timeout)


async def append_to_directory(app: web.Application, events: list[Envelope]) -> None:
    """Append to the tenancy topic, then wait until this gateway's directory holds it."""
    for event in events:
        metadata = await publish(app, app[keys.TENANCY_PUBLISHER], event)
    await app[keys.DIRECTORY].wait_for(metadata.offset, app[keys.SETTINGS].read_your_writes_timeout_s)
