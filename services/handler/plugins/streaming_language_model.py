"""`streaming_language_model`: the summarizer, announcing its token channel as it begins."""

from __future__ import annotations

from contracts.events import JsonObject
from projections.state import ExecutionState
from services.handler.plugins.base import PipelineContext, PipelineResult, Plugin
from services.handler.plugins.summarize.pipeline import summarize_execution


def channel_output(execution: ExecutionState) -> JsonObject:
    # Derived from the execution id, so a resumed run announces the same channel.
    return {"handlerType": "streaming_language_model", "streamingChannelId": f"ch_{execution.execution_id}"}


async def run(ctx: PipelineContext) -> PipelineResult:
    result = await summarize_execution(ctx, "streaming_language_model")
    handler_output = {**channel_output(ctx.execution), **(result.handler_output or {})}
    return PipelineResult(result.output, result.citations, handler_output)


PLUGIN = Plugin(handler_type="streaming_language_model", run=run, start_output=channel_output)
