"""Appending a command's event to the log, with read-your-writes for the caller."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from aiohttp import web

from contracts.envelope import Envelope
from services.gateway import keys
from services.gateway.auth import principal_of
from services.gateway.commands import CommandContext
from services.gateway.errors import broker_unavailable
from services.gateway.requests import correlation_id
from services.kafka_io import PublishFailed

log = logging.getLogger(__name__)


def command_context(request: web.Request) -> CommandContext:
    """The inputs a decision may not invent: caller, time, ids."""
    return CommandContext(
        principal=principal_of(request),
        now=datetime.now(UTC),
        event_id=str(uuid.uuid4()),
        correlation_id=correlation_id(request),
    )


async def append_and_wait(app: web.Application, event: Envelope) -> None:
    """Append to the log, then wait until this gateway's read model holds it."""
    try:
        metadata = await app[keys.PUBLISHER].publish(event)
    except PublishFailed as error:
        log.warning("%s", error)
        raise broker_unavailable() from error
    timeout = app[keys.SETTINGS].read_your_writes_timeout_s
    try:
        await app[keys.RUNNER].wait_for(metadata.partition, metadata.offset, timeout)
    except TimeoutError:
        # Recorded on the log; the read model is just behind. The client may poll.
        log.warning("read model did not reach %s:%s within %ss", metadata.partition, metadata.offset, timeout)


async def append_to_directory(app: web.Application, events: list[Envelope]) -> None:
    """Append to the tenancy topic, then wait until this gateway's directory holds it."""
    try:
        for event in events:
            metadata = await app[keys.TENANCY_PUBLISHER].publish(event)
    except PublishFailed as error:
        raise broker_unavailable() from error
    await app[keys.DIRECTORY].wait_for(metadata.offset, app[keys.SETTINGS].read_your_writes_timeout_s)
