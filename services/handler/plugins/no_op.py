"""`no_op`: completes at once with an empty output."""

from __future__ import annotations

from services.handler.plugins.base import PipelineContext, PipelineResult, Plugin


async def run(ctx: PipelineContext) -> PipelineResult:
    return PipelineResult(output={})


PLUGIN = Plugin(handler_type="no_op", run=run)
