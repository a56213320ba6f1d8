"""`language_model`: a document summarizer; each key point cites its range of the input."""

from __future__ import annotations

from services.handler.plugins.base import PipelineContext, PipelineResult, Plugin
from services.handler.plugins.summarize.pipeline import summarize_execution


async def run(ctx: PipelineContext) -> PipelineResult:
    return await summarize_execution(ctx, "language_model")


PLUGIN = Plugin(handler_type="language_model", run=run)
