"""HTTP request bodies and the error body, as clients send and receive them."""

from __future__ import annotations

from pydantic import Field

from contracts.envelope import Frozen
from contracts.events import ExecutionInput


class TriggerRequest(Frozen):
    input: ExecutionInput = Field(default_factory=ExecutionInput)


class ErrorBody(Frozen):
    error: str = Field(description="Stable, machine-readable code.")
    message: str = Field(description="What is wrong and how to fix it.")
    details: list[dict[str, str]] | None = None
