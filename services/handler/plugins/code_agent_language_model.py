"""`code_agent_language_model`: a demo agent that reports one progress step per tool call."""

from __future__ import annotations

from services.handler.plugins.base import PipelineContext, PipelineResult, Plugin
from services.handler.plugins.demo_flow import query_text, run_steps


async def run(ctx: PipelineContext) -> PipelineResult:
    text = query_text(ctx)
    await run_steps(ctx)
    words = text.split()
    return PipelineResult(output={"result": {"words": len(words), "characters": len(text)}})


PLUGIN = Plugin(handler_type="code_agent_language_model", run=run)
