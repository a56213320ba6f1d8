"""Tokens of a streaming execution, on `<events topic>.tokens`, keyed by channel id.

Not part of the audit trail: the topic keeps a day. Each record is one token with its
index in the channel; the last one has `final` set.
"""

from __future__ import annotations

from pydantic import Field

from contracts.envelope import Frozen

TOKENS_RETENTION_MS = str(24 * 60 * 60 * 1000)


class StreamedToken(Frozen):
    channel_id: str
    execution_id: str
    tenant_id: str
    index: int = Field(ge=0)
    token: str
    final: bool = False
