"""The summarizer pipeline both language-model handler types run.

Without files it summarizes `dataInputs.query` itself (locally, a lone question gets
"nothing to summarize" rather than itself back). With files, it summarizes their
text, favouring what the query asks about, and cites ranges of the files.
"""

from __future__ import annotations

import asyncio
from typing import Any

from contracts.events import OutputCitation
from services.handler.plugins.base import PipelineContext, PipelineError, PipelineResult
from services.handler.plugins.summarize.corpus import Corpus, Source
from services.handler.plugins.summarize.extractive import Summary, summarize
from services.handler.plugins.summarize.llm_client import LlmFailed, summarize_with_llm
from services.handler.plugins.summarize.query_only import summarize_query

INPUT = "query"
MAX_LLM_INPUT_CHARS = 200_000
"""Beyond this, a chat model's context is exceeded: the reference's `Context too large`."""


async def summarize_execution(ctx: PipelineContext, handler_type: str) -> PipelineResult:
    query = ctx.execution.input.data_inputs.get(INPUT)
    files = ctx.execution.input.files
    if not files and (not isinstance(query, str) or not query.strip()):
        raise PipelineError(f"Input validation failed: dataInputs.{INPUT} must be a non-empty string")
    await ctx.progress(0, "Initializing...")
    await asyncio.sleep(ctx.step_delay_s)
    await ctx.progress(20, "Loading context documents...")
    corpus = (
        await _file_corpus(ctx, files) if files else Corpus([Source(str(query), input_pointer=f"/dataInputs/{INPUT}")])
    )
    await asyncio.sleep(ctx.step_delay_s)
    await ctx.progress(50, "Processing with language model...")
    focus = query if files and isinstance(query, str) else None
    summary = await _summary(ctx, corpus, focus)
    await asyncio.sleep(ctx.step_delay_s)
    await ctx.progress(80, "Formatting results...")
    backend = {"backend": "openai-compatible", "model": ctx.llm.model} if ctx.llm else {"backend": "local-extractive"}
    trace = {
        **backend,
        "steps": ["load_context", "summarize", "cite", "format"],
        "inputChars": len(corpus.text),
        "files": len(files),
    }
    return PipelineResult(
        output={"summary": summary.summary, "keyPoints": [point.text for point in summary.key_points]},
        citations=_citations(summary, corpus),
        handler_output={"handlerType": handler_type, "trace": trace},
    )


async def _file_corpus(ctx: PipelineContext, files: list[Any]) -> Corpus:
    if ctx.files is None:
        raise PipelineError("PipelineFailed: this handler has no access to uploaded files")
    sources = []
    for ref in files:
        extraction_id = ref.get("extractionId") if isinstance(ref, dict) else None
        found = await ctx.files.extraction(ctx.execution.tenant_id, extraction_id) if extraction_id else None
        if found is None:
            raise PipelineError(f"Input validation failed: file {ref!r} is not available")
        sources.append(Source(found.text, extraction_id=found.extraction_id, page_starts=tuple(found.page_starts)))
    return Corpus(sources)


async def _summary(ctx: PipelineContext, corpus: Corpus, focus: str | None) -> Summary:
    text = corpus.text
    if ctx.llm is None:
        # Up to a few seconds of CPU on a long document: off the event loop, so other executions go on.
        if all(source.input_pointer is not None for source in corpus.sources):
            return await asyncio.to_thread(summarize_query, text)
        return await asyncio.to_thread(summarize, text, focus=focus, page_starts=corpus.page_starts)
    if len(text) > MAX_LLM_INPUT_CHARS:
        raise PipelineError(f"Context too large: {len(text)} characters; the limit is {MAX_LLM_INPUT_CHARS}")
    try:
        return await summarize_with_llm(text, ctx.llm, focus=focus)
    except LlmFailed as error:
        raise PipelineError(str(error)) from error


def _citations(summary: Summary, corpus: Corpus) -> list[OutputCitation]:
    cited = []
    for index, point in enumerate(summary.key_points):
        citation = corpus.cite(point.char_start, point.char_end) if point.char_start >= 0 else None
        if citation is not None:
            cited.append(OutputCitation(output_pointer=f"/keyPoints/{index}", citations=[citation]))
    return cited
