"""Pure decisions of the command side: a command and the state in, events out.

Time, ids and the request's correlation id are arguments, so these are tested
without a clock, a broker or a web server.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from contracts.api import CreatePipelineRequest, PromoteRequest, TriggerRequest
from contracts.chain import chained
from contracts.envelope import envelope_attributes
from contracts.events import (
    CancellationRequestedData,
    CreatedData,
    ExecutionCancellationRequested,
    ExecutionCreated,
    ExecutionPromotedToExample,
    PromotedToExampleData,
)
from contracts.files import FileExtracted, FileExtractedData, MediaType
from contracts.pipelines import Pipeline
from contracts.tenancy import PipelineArchived, PipelineArchivedData, PipelineRegistered, PipelineRegisteredData
from projections.state import ExecutionState, Status
from services.files.extraction import Extraction
from services.gateway.auth import Principal
from services.gateway.input_validation import Problem, input_problems, schema_problems

SOURCE = "/gateway"


@dataclass(frozen=True)
class CommandContext:
    principal: Principal
    now: datetime
    event_id: str
    correlation_id: str
    idempotency_key: str | None = None

    def envelope(self, subject: str, sequence: int | None = None) -> dict[str, Any]:
        """The envelope attributes of an event this command appends."""
        return envelope_attributes(
            event_id=self.event_id,
            source=SOURCE,
            subject=subject,
            time=self.now,
            sequence=sequence,
            tenant_id=self.principal.tenant_id,
            actor=self.principal.actor,
            correlation_id=self.correlation_id,
        )


def request_fingerprint(pipeline_id: str, request: TriggerRequest) -> str:
    """Same pipeline and same body give the same fingerprint, whatever the JSON key order."""
    canonical = json.dumps([pipeline_id, request.model_dump(mode="json", by_alias=True)], sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


class AlreadyTerminal(Exception):
    def __init__(self, state: ExecutionState) -> None:
        super().__init__(f"execution {state.execution_id} is already {state.status.value}")
        self.state = state


class NotSucceeded(Exception):
    def __init__(self, state: ExecutionState) -> None:
        super().__init__(f"execution {state.execution_id} is {state.status.value}; only succeeded ones can be promoted")


class InvalidInput(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("Input validation failed: the input does not match the pipeline's inputs schema.")
        self.problems = problems


def decide_trigger(
    pipeline: Pipeline, request: TriggerRequest, execution_id: str, ctx: CommandContext
) -> ExecutionCreated:
    problems = input_problems(pipeline.inputs_schema, request.input)
    if problems:
        raise InvalidInput(problems)
    created = ExecutionCreated(
        **ctx.envelope(execution_id, sequence=1),
        data=CreatedData(
            execution_id=execution_id,
            pipeline=pipeline.snapshot(),
            input=request.input,
            created_by=ctx.principal.actor,
            idempotency_key=ctx.idempotency_key,
            request_fingerprint=request_fingerprint(pipeline.pipeline_id, request) if ctx.idempotency_key else None,
        ),
    )
    return chained(created, None)  # the first link of the execution's chain


def decide_cancel(state: ExecutionState, ctx: CommandContext) -> ExecutionCancellationRequested:
    if state.status.is_terminal:
        raise AlreadyTerminal(state)
    return ExecutionCancellationRequested(
        **ctx.envelope(state.execution_id),
        data=CancellationRequestedData(reason="requested by client"),
    )


def decide_promote(
    state: ExecutionState, request: PromoteRequest, ids: tuple[str, str], ctx: CommandContext
) -> ExecutionPromotedToExample:
    """`ids`: the new example's id and, when the request names no existing set, the new set's id."""
    if state.status is not Status.SUCCEEDED:
        raise NotSucceeded(state)
    example_id, new_set_id = ids
    return ExecutionPromotedToExample(
        **ctx.envelope(state.execution_id),
        data=PromotedToExampleData(
            example_id=example_id,
            example_set_id=request.existing_example_set_id or new_set_id,
            new_example_set=request.new_example_set,
            example_name=request.example_name,
            rationale=request.rationale,
        ),
    )


CODE_STEPS_HANDLER = "code_agent_language_model"


def decide_register_pipeline(
    request: CreatePipelineRequest, pipeline_id: str, ctx: CommandContext, handler_types: frozenset[str]
) -> PipelineRegistered:
    problems = schema_problems(request.inputs_schema) + pipeline_problems(request, handler_types)
    if problems:
        raise InvalidInput(problems)
    # The request's fields are the pipeline's, but for the id the gateway assigns.
    pipeline = Pipeline(pipeline_id=pipeline_id, **request.model_dump())
    return PipelineRegistered(
        **ctx.envelope(pipeline_id),
        data=PipelineRegisteredData(tenant_id=ctx.principal.tenant_id, pipeline=pipeline),
    )


def decide_archive_pipeline(pipeline_id: str, ctx: CommandContext) -> PipelineArchived:
    return PipelineArchived(
        **ctx.envelope(pipeline_id),
        data=PipelineArchivedData(tenant_id=ctx.principal.tenant_id, pipeline_id=pipeline_id),
    )


def pipeline_problems(request: CreatePipelineRequest, handler_types: frozenset[str]) -> list[Problem]:
    """What would make every execution of this pipeline fail: better refused when it is registered."""
    if request.handler_type not in handler_types:
        known = ", ".join(sorted(handler_types))
        return [{"field": "handlerType", "problem": f"unknown handler type {request.handler_type!r}; one of: {known}"}]
    steps = request.configuration.get("steps")
    if request.handler_type == CODE_STEPS_HANDLER and not (isinstance(steps, list) and steps):
        return [{"field": "configuration.steps", "problem": "a code agent needs a non-empty list of {name, code}"}]
    return []


@dataclass(frozen=True)
class Upload:
    file_name: str
    media_type: MediaType
    content: bytes

    @cached_property
    def sha256(self) -> str:
        """Hashed once: the event, the fingerprint and a retry's check all need it (up to 10 MB)."""
        return hashlib.sha256(self.content).hexdigest()


def upload_fingerprint(upload: Upload) -> str:
    return hashlib.sha256(json.dumps([upload.file_name, upload.sha256]).encode()).hexdigest()


def decide_upload(upload: Upload, extraction: Extraction, ids: tuple[str, str], ctx: CommandContext) -> FileExtracted:
    """`ids`: the new file's id and its extraction's id."""
    file_id, extraction_id = ids
    key = ctx.idempotency_key
    return FileExtracted(
        **ctx.envelope(file_id),
        data=FileExtractedData(
            file_id=file_id,
            extraction_id=extraction_id,
            file_name=upload.file_name,
            media_type=upload.media_type,
            size_bytes=len(upload.content),
            sha256=upload.sha256,
            page_starts=extraction.page_starts,
            text=extraction.text,
            created_by=ctx.principal.actor,
            idempotency_key=key,
            request_fingerprint=upload_fingerprint(upload) if key else None,
        ),
    )
