"""What a pipeline plugin is, and what it is given to run one execution."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from contracts.events import JsonObject, OutputCitation
from contracts.files import FileExtractedData
from projections.state import ExecutionState
from services.handler.plugins.summarize.llm_client import LlmSettings


class PipelineError(Exception):
    """The pipeline cannot produce a result; the message becomes `errorMessage`."""


class Progress(Protocol):
    async def __call__(self, pct: int, message: str) -> None: ...


class FileSource(Protocol):
    async def extraction(self, tenant_id: str, extraction_id: str) -> FileExtractedData | None: ...


class TokenSink(Protocol):
    async def __call__(self, token: str, final: bool = False) -> None: ...


@dataclass(frozen=True)
class PipelineContext:
    execution: ExecutionState
    progress: Progress
    step_delay_s: float
    """Pacing of the demo pipelines, so their progress can be watched."""
    llm: LlmSettings | None = None
    """An OpenAI-compatible chat API to use; None: the local, deterministic backend."""
    tokens: TokenSink | None = None
    """Where a streaming handler sends its tokens; None unless the execution has a channel."""
    files: FileSource | None = None
    """Uploaded files' extracted text, by extraction id."""
    allow_tenant_code_steps: bool = False
    """The operator allows Python steps that tenants wrote (`HandlerSettings.allow_tenant_code_steps`)."""


@dataclass(frozen=True)
class PipelineResult:
    output: JsonObject
    citations: list[OutputCitation] = field(default_factory=list)
    handler_output: JsonObject | None = None


def handler_type_only(execution: ExecutionState) -> JsonObject:
    return {"handlerType": execution.pipeline_handler_type}


@dataclass(frozen=True)
class Plugin:
    handler_type: str
    run: Callable[[PipelineContext], Awaitable[PipelineResult]]
    start_output: Callable[[ExecutionState], JsonObject] = handler_type_only
    """`handlerOutput` as the worker begins (e.g. the streaming channel)."""
