"""`streaming_language_model`: the summarizer, announcing a token channel as it begins."""

from __future__ import annotations

from contracts.events import JsonObject
from projections.state import ExecutionState
from services.handler.plugins.base import PipelineContext, PipelineResult, Plugin
from services.handler.plugins.demo_flow import key_points, query_text, run_steps


def channel_output(execution: ExecutionState) -> JsonObject:
    # Derived from the execution id, so a resumed run announces the same channel.
    return {"handlerType": "streaming_language_model", "streamingChannelId": f"ch_{execution.execution_id}"}


async def run(ctx: PipelineContext) -> PipelineResult:
    text = query_text(ctx)
    await run_steps(ctx)
    points = key_points(text)
    return PipelineResult(output={"summary": " ".join(points), "keyPoints": points})


PLUGIN = Plugin(handler_type="streaming_language_model", run=run, start_output=channel_output)
