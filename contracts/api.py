"""HTTP request bodies and the error body, as clients send and receive them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contracts.envelope import Frozen
from contracts.events import ExecutionInput


class TriggerRequest(Frozen):
    input: ExecutionInput = Field(default_factory=ExecutionInput)


class ErrorBody(Frozen):
    error: str = Field(description="Stable, machine-readable code.")
    message: str = Field(description="What is wrong and how to fix it.")
    details: list[dict[str, str]] | None = None


class GenerateRequest(Frozen):
    """`POST /v1/generate`: threat-intelligence text to turn into detection rules."""

    input: str = Field(min_length=1, description="The threat-intelligence text.")
    input_type: Literal["text"] = "text"
