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
from services.gateway.errors import ApiError, broker_unavailable
from services.gateway.requests import correlation_id
from services.kafka_io import EventPublisher, PublishFailed, RecordTooLarge

log = logging.getLogger(__name__)


def command_context(request: web.Request) -> CommandContext:
    """The inputs a decision may not invent: caller, time, ids."""
    return CommandContext(
        principal=principal_of(request),
        now=datetime.now(UTC),
        event_id=str(uuid.uuid4()),
        correlation_id=correlation_id(request),
    )


async def publish(publisher: EventPublisher, event: Envelope) -> RecordMetadata:
    """Append one event; what stops it becomes the answer the client gets."""
    try:
        return await publisher.publish(event)
    except RecordTooLarge as error:
        raise ApiError(413, "ContextTooLarge", f"{error}; send a smaller input.") from error
    except PublishFailed as error:
        log.warning("%s", error)
        raise broker_unavailable() from error


async def append_and_wait(app: web.Application, event: Envelope) -> None:
    """Append to the log, then wait until this gateway's read model holds it."""
    metadata = await publish(app[keys.PUBLISHER], event)
    timeout = app[keys.SETTINGS].read_your_writes_timeout_s
    try:
        await app[keys.RUNNER].wait_for(metadata.partition, metadata.offset, timeout)
    except TimeoutError:
        # Recorded on the log; the read model is just behind. The client may poll.
        log.warning("read model did not reach %s:%s within %ss", metadata.partition, metadata.offset, timeout)


async def append_to_directory(app: web.Application, events: list[Envelope]) -> None:
    """Append to the tenancy topic, then wait until this gateway's directory holds it."""
    for event in events:
        metadata = await publish(app[keys.TENANCY_PUBLISHER], event)
    await app[keys.DIRECTORY].wait_for(metadata.offset, app[keys.SETTINGS].read_your_writes_timeout_s)
