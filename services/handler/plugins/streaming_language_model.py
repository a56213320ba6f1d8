"""`streaming_language_model`: the summarizer, announcing its token channel as it begins."""

from __future__ import annotations

import asyncio

from contracts.events import JsonObject
from projections.state import ExecutionState
from services.handler.plugins.base import PipelineContext, PipelineResult, Plugin
from services.handler.plugins.summarize.pipeline import summarize_execution


def channel_output(execution: ExecutionState) -> JsonObject:
    # Derived from the execution id, so a resumed run announces the same channel.
    return {"handlerType": "streaming_language_model", "streamingChannelId": f"ch_{execution.execution_id}"}


async def run(ctx: PipelineContext) -> PipelineResult:
    result = await summarize_execution(ctx, "streaming_language_model")
    if ctx.tokens is not None:
        for word in str(result.output["summary"]).split():
            await ctx.tokens(word + " ")
            await asyncio.sleep(ctx.step_delay_s / 20)  # paced like a model's output
        await ctx.tokens("", final=True)
    handler_output = {**channel_output(ctx.execution), **(result.handler_output or {})}
    return PipelineResult(result.output, result.citations, handler_output)


PLUGIN = Plugin(handler_type="streaming_language_model", run=run, start_output=channel_output)
