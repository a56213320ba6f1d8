"""`language_model`: a demo summarizer that walks the reference progress flow."""

from __future__ import annotations

from services.handler.plugins.base import PipelineContext, PipelineResult, Plugin
from services.handler.plugins.demo_flow import key_points, query_text, run_steps


async def run(ctx: PipelineContext) -> PipelineResult:
    text = query_text(ctx)
    await run_steps(ctx)
    points = key_points(text)
    trace = {"steps": ["load_context", "summarize", "format"], "inputChars": len(text)}
    return PipelineResult(
        output={"summary": f"Summary: {points[0]}", "keyPoints": points},
        handler_output={"handlerType": "language_model", "trace": trace},
    )


PLUGIN = Plugin(handler_type="language_model", run=run)
