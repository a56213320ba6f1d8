"""HTTP request bodies and the error body, as clients send and receive them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from contracts.envelope import Frozen
from contracts.events import Citation, ExecutionInput, InputCitation, JsonObject, NewExampleSet


class TriggerRequest(Frozen):
    input: ExecutionInput = Field(default_factory=ExecutionInput)


class ErrorBody(Frozen):
    error: str = Field(description="Stable, machine-readable code.")
    message: str = Field(description="What is wrong and how to fix it.")
    details: list[dict[str, str]] | None = None
    execution_id: str | None = Field(
        default=None, description="OutcomeUnknown on a create: the execution it may have created."
    )
    idempotency_key: str | None = Field(
        default=None, description="OutcomeUnknown on a create: retrying with this key never creates twice."
    )
    data: dict[str, str] | None = Field(
        default=None,
        description="On /v1: `status` (FAILED, or UNKNOWN: keep polling) and `errorMessage`, for the reference client.",
    )


class GenerateRequest(Frozen):
    """`POST /v1/generate`: threat-intelligence text to turn into detection rules."""

    input: str = Field(min_length=1, description="The threat-intelligence text.")
    input_type: Literal["text"] = "text"


class PromoteRequest(Frozen):
    """`POST /pipeline-executions/{id}/promote-to-example`: into an existing set or a new one."""

    existing_example_set_id: str | None = None
    new_example_set: NewExampleSet | None = None
    example_name: str = Field(min_length=1, max_length=200)
    rationale: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _one_set(self) -> PromoteRequest:
        if (self.existing_example_set_id is None) == (self.new_example_set is None):
            raise ValueError("give exactly one of existingExampleSetId and newExampleSet")
        return self


def _empty_schema() -> JsonObject:
    return {"files": [], "datasets": [], "dataInputs": []}


class CreatePipelineRequest(Frozen):
    """`POST /pipelines`: a pipeline of the caller's tenant."""

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    handler_type: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    inputs_schema: JsonObject = Field(default_factory=_empty_schema)
    outputs_schema: JsonObject = Field(default_factory=_empty_schema)
    configuration: JsonObject = Field(default_factory=dict)


class ResolveCitationsRequest(Frozen):
    """`POST /citations/resolve`: citations as found in `outputCitations`, of either type."""

    citations: list[Citation | InputCitation] = Field(min_length=1, max_length=100)
    execution_id: str | None = Field(
        default=None, description="Whose input an `input_character_range` citation points into; needed for those."
    )
