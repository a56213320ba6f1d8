"""The summarizer pipeline both language-model handler types run."""

from __future__ import annotations

import asyncio

from contracts.events import InputCitation, OutputCitation
from services.handler.plugins.base import PipelineContext, PipelineError, PipelineResult
from services.handler.plugins.summarize.extractive import Summary, summarize
from services.handler.plugins.summarize.llm_client import LlmFailed, summarize_with_llm

INPUT = "query"


async def summarize_execution(ctx: PipelineContext, handler_type: str) -> PipelineResult:
    text = ctx.execution.input.data_inputs.get(INPUT)
    if not isinstance(text, str) or not text.strip():
        raise PipelineError(f"Input validation failed: dataInputs.{INPUT} must be a non-empty string")
    await ctx.progress(0, "Initializing...")
    await asyncio.sleep(ctx.step_delay_s)
    await ctx.progress(20, "Loading context documents...")
    await asyncio.sleep(ctx.step_delay_s)
    await ctx.progress(50, "Processing with language model...")
    summary = await _summary(ctx, text)
    await asyncio.sleep(ctx.step_delay_s)
    await ctx.progress(80, "Formatting results...")
    backend = {"backend": "openai-compatible", "model": ctx.llm.model} if ctx.llm else {"backend": "local-extractive"}
    trace = {**backend, "steps": ["load_context", "summarize", "cite", "format"], "inputChars": len(text)}
    return PipelineResult(
        output={"summary": summary.summary, "keyPoints": [point.text for point in summary.key_points]},
        citations=_citations(summary),
        handler_output={"handlerType": handler_type, "trace": trace},
    )


async def _summary(ctx: PipelineContext, text: str) -> Summary:
    if ctx.llm is None:
        return summarize(text)
    try:
        return await summarize_with_llm(text, ctx.llm)
    except LlmFailed as error:
        raise PipelineError(str(error)) from error


def _citations(summary: Summary) -> list[OutputCitation]:
    return [
        OutputCitation(
            output_pointer=f"/keyPoints/{index}",
            citations=[
                InputCitation(
                    input_pointer=f"/dataInputs/{INPUT}", char_start=point.char_start, char_end=point.char_end
                )
            ],
        )
        for index, point in enumerate(summary.key_points)
        if point.char_start >= 0
    ]
