"""The CloudEvents 1.0 envelope every event on the log is wrapped in."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

SPEC_VERSION = "1.0"


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
    id: str
    source: str
    type: str
    subject: str = Field(description="The execution id; also the Kafka key.")
    time: datetime
    datacontenttype: str = "application/json"
    sequence: int | None = Field(default=None, ge=1)
    tenantid: str
    actor: str
    correlationid: str
    causationid: str | None = None
