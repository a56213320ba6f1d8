"""The CloudEvents 1.0 envelope every event on the log is wrapped in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

SPEC_VERSION = "1.0"
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)
MAX_ATTRIBUTE_LENGTH = 256
MAX_SEQUENCE = 2**31 - 1


def _storable(moment: datetime) -> datetime:
    """Only times every reader can convert to UTC and store (year 1 at +01:00 is year 0 in UTC)."""
    if not EARLIEST <= moment < LATEST:
        raise ValueError(f"time must be from {EARLIEST.isoformat()} until {LATEST.isoformat()}")
    return moment


EventTime = Annotated[
    AwareDatetime,
    AfterValidator(_storable),
    Field(description="With a UTC offset; from 1970-01-01T00:00:00Z until 9999-01-01T00:00:00Z."),
]
Attribute = Annotated[str, Field(min_length=1, max_length=MAX_ATTRIBUTE_LENGTH)]


class Frozen(BaseModel):
    """Immutable, strict-keyed model with camelCase on the wire."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
    )


class Envelope(BaseModel):
    """CloudEvents attributes plus our extensions.

    Extension names are lower-case without separators, as CloudEvents requires.
    `sequence` numbers an execution's lifecycle events 1..n; requests coming from
    outside the single writer (cancellation) carry none, see docs/architecture.md.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    specversion: str = SPEC_VERSION
    id: Attribute
    source: Attribute
    type: Attribute
    subject: Attribute = Field(description="The execution id; also the Kafka key.")
    time: EventTime
    datacontenttype: str = "application/json"
    sequence: int | None = Field(default=None, ge=1, le=MAX_SEQUENCE)
    tenantid: Attribute
    actor: Attribute
    correlationid: Attribute
    causationid: Attribute | None = None
    chainhash: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="On numbered events: sha256 of the previous numbered event's chainhash and this event "
        "without it (contracts/chain.py). Absent on events written before chains, and on unnumbered ones.",
    )


def envelope_attributes(
    *,
    event_id: str,
    source: str,
    subject: str,
    time: datetime,
    tenant_id: str,
    actor: str,
    correlation_id: str,
    sequence: int | None = None,
    causation_id: str | None = None,
) -> dict[str, Any]:
    """The attributes of an event any service writes: built in this one place, so every
    writer sets the same ones the same way."""
    return {
        "id": event_id,
        "source": source,
        "subject": subject,
        "time": time,
        "sequence": sequence,
        "tenantid": tenant_id,
        "actor": actor,
        "correlationid": correlation_id,
        "causationid": causation_id,
    }
