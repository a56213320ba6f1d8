"""The multi-step flow the demo pipelines share, paced like the reference example."""

from __future__ import annotations

import asyncio

from services.handler.plugins.base import PipelineContext, PipelineError

STEPS = (
    (0, "Initializing..."),
    (20, "Loading context documents..."),
    (50, "Processing with language model..."),
    (80, "Formatting results..."),
)


async def run_steps(ctx: PipelineContext) -> None:
    for pct, message in STEPS:
        await ctx.progress(pct, message)
        await asyncio.sleep(ctx.step_delay_s)


def query_text(ctx: PipelineContext) -> str:
    query = ctx.execution.input.data_inputs.get("query")
    if not isinstance(query, str) or not query.strip():
        raise PipelineError("Input validation failed: dataInputs.query must be a non-empty string")
    return query.strip()


def key_points(text: str, limit: int = 3) -> list[str]:
    sentences = [part.strip() for part in text.replace("?", ".").replace("!", ".").split(".")]
    return [sentence for sentence in sentences if sentence][:limit] or [text[:120]]
