"""Execution events: one frozen class per wire type, parsed through one union.

Wire names are versioned (`execution.created.v1`) and kept apart from class
names, so a class can be renamed without changing what is on the log.

A type's new version gets the class name; the old one stays as a `Legacy…` class that
still parses what the log holds and upcasts itself into the new one, so every reader folds
only current events (`parse_event`). `execution.progressed.v2` renamed v1's fields; v1
records written before it load as v2.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from contracts.envelope import Envelope, Frozen

JsonObject = dict[str, Any]


class Outcome(str, Enum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class PipelineSnapshot(Frozen):
    """The pipeline as it was at trigger time."""

    pipeline_id: str
    pipeline_name: str
    pipeline_handler_type: str
    pipeline_inputs_schema: JsonObject
    pipeline_outputs_schema: JsonObject
    pipeline_configuration: JsonObject


class ExecutionInput(Frozen):
    data_inputs: JsonObject = Field(default_factory=dict)
    files: list[Any] = Field(
        default_factory=list,
        description="Files from POST /files: in a request, file or extraction ids (strings, or objects with "
        "`fileId` or `extractionId`); once created, `{fileId, extractionId, fileName}` each.",
    )
    datasets: list[Any] = Field(default_factory=list)


class CreatedData(Frozen):
    execution_id: str
    pipeline: PipelineSnapshot
    input: ExecutionInput
    created_by: str
    idempotency_key: str | None = Field(default=None, description="The client's Idempotency-Key, if it sent one.")
    request_fingerprint: str | None = Field(
        default=None, description="sha256 of the pipeline id and the request body, to tell a retry from a misuse."
    )


class StartedData(Frozen):
    handler_output: JsonObject | None = None


class ProgressedData(Frozen):
    """`execution.progressed.v2`."""

    percent: int = Field(ge=0, le=100)
    message: str


class LegacyProgressedData(Frozen):
    """`execution.progressed.v1`: the same facts under the names v2 changed."""

    progress_pct: int = Field(ge=0, le=100)
    progress_message: str


class Citation(Frozen):
    """A character range of a file's extracted text."""

    type: Literal["pdf_character_range"] = "pdf_character_range"
    pdf_file_extraction_id: str
    char_start: int = Field(ge=0)
    char_end: int = Field(ge=0)


class InputCitation(Frozen):
    """A character range of one of the execution's own text inputs (`/dataInputs/<id>`)."""

    type: Literal["input_character_range"] = "input_character_range"
    input_pointer: str
    char_start: int = Field(ge=0)
    char_end: int = Field(ge=0)


class OutputCitation(Frozen):
    output_pointer: str
    citations: list[Annotated[Citation | InputCitation, Field(discriminator="type")]]


class CompletedData(Frozen):
    outcome: Outcome
    output: JsonObject | None = None
    output_citations: list[OutputCitation] = Field(default_factory=list)
    handler_output: JsonObject | None = None
    error_message: str | None = None


class CancellationRequestedData(Frozen):
    reason: str | None = None


class NewExampleSet(Frozen):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)


class PromotedToExampleData(Frozen):
    example_id: str
    example_set_id: str
    new_example_set: NewExampleSet | None = Field(
        default=None, description="Present when this promotion created the example set."
    )
    example_name: str = Field(min_length=1, max_length=200)
    rationale: str = Field(default="", max_length=2000)


class ExecutionCreated(Envelope):
    type: Literal["execution.created.v1"] = "execution.created.v1"
    data: CreatedData


class ExecutionStarted(Envelope):
    type: Literal["execution.started.v1"] = "execution.started.v1"
    data: StartedData


class ExecutionProgressed(Envelope):
    type: Literal["execution.progressed.v2"] = "execution.progressed.v2"
    data: ProgressedData


class LegacyExecutionProgressed(Envelope):
    """Written until `execution.progressed.v2`; read as that."""

    type: Literal["execution.progressed.v1"] = "execution.progressed.v1"
    data: LegacyProgressedData

    def upcast(self) -> ExecutionProgressed:
        envelope = {name: getattr(self, name) for name in Envelope.model_fields if name != "type"}
        data = ProgressedData(percent=self.data.progress_pct, message=self.data.progress_message)
        return ExecutionProgressed(**envelope, data=data)


class ExecutionCompleted(Envelope):
    type: Literal["execution.completed.v1"] = "execution.completed.v1"
    data: CompletedData


class ExecutionCancellationRequested(Envelope):
    type: Literal["execution.cancellation_requested.v1"] = "execution.cancellation_requested.v1"
    data: CancellationRequestedData


class ExecutionPromotedToExample(Envelope):
    """A succeeded execution's input and output kept as a ground-truth example (unsequenced)."""

    type: Literal["execution.promoted_to_example.v1"] = "execution.promoted_to_example.v1"
    data: PromotedToExampleData


ExecutionEvent = Annotated[
    ExecutionCreated
    | ExecutionStarted
    | ExecutionProgressed
    | ExecutionCompleted
    | ExecutionCancellationRequested
    | ExecutionPromotedToExample,
    Field(discriminator="type"),
]

LoggedExecutionEvent = Annotated[
    ExecutionCreated
    | ExecutionStarted
    | ExecutionProgressed
    | LegacyExecutionProgressed
    | ExecutionCompleted
    | ExecutionCancellationRequested
    | ExecutionPromotedToExample,
    Field(discriminator="type"),
]
"""Every type the log may hold, older versions included."""

EVENT_ADAPTER: TypeAdapter[LoggedExecutionEvent] = TypeAdapter(LoggedExecutionEvent)


def parse_event(value: bytes | str) -> ExecutionEvent:
    """An event as on the log, in its current version (raises pydantic's ValidationError)."""
    event = EVENT_ADAPTER.validate_json(value)
    return event.upcast() if isinstance(event, LegacyExecutionProgressed) else event


EVENT_CLASSES: tuple[type[Envelope], ...] = (
    ExecutionCreated,
    ExecutionStarted,
    ExecutionProgressed,
    LegacyExecutionProgressed,
    ExecutionCompleted,
    ExecutionCancellationRequested,
    ExecutionPromotedToExample,
)
"""Every wire type, as published in contracts/schemas/."""

WIRE_TYPES: dict[str, type[Envelope]] = {cls.model_fields["type"].default: cls for cls in EVENT_CLASSES}
