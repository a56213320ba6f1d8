"""`code_agent_language_model`: runs the pipeline's configured Python steps, each in a sandbox.

`pipelineConfiguration.steps` is a list of `{"name", "code"}`. Each step sees `inputs` (the
execution's `dataInputs`) and `results` (what the steps before it returned) and assigns
`result`; the last step's result is the output. Progress is reported per step.
"""

from __future__ import annotations

import asyncio
from typing import Any

from services.handler.plugins.base import PipelineContext, PipelineError, PipelineResult, Plugin
from services.handler.plugins.sandbox import SandboxLimits, StepFailed, run_step

LIMITS = SandboxLimits()


def configured_steps(ctx: PipelineContext) -> list[dict[str, str]]:
    steps = ctx.execution.pipeline_configuration.get("steps")
    valid = isinstance(steps, list) and steps and all(
        isinstance(s, dict) and isinstance(s.get("name"), str) and isinstance(s.get("code"), str) for s in steps
    )  # fmt: skip
    if not valid:
        raise PipelineError("PipelineFailed: pipelineConfiguration.steps must be a non-empty list of {name, code}")
    return steps  # type: ignore[return-value]


async def run(ctx: PipelineContext) -> PipelineResult:
    steps = configured_steps(ctx)
    await ctx.progress(0, "Initializing...")
    results: list[Any] = []
    trace = []
    for index, step in enumerate(steps):
        await asyncio.sleep(ctx.step_delay_s)
        await ctx.progress(10 + 80 * index // len(steps), f"Running step {index + 1}/{len(steps)}: {step['name']}...")
        try:
            results.append(await run_step(step["code"], ctx.execution.input.data_inputs, results, LIMITS))
        except StepFailed as error:
            raise PipelineError(f"PipelineFailed: step '{step['name']}' failed: {error}") from error
        trace.append({"step": step["name"], "ok": True})
    await asyncio.sleep(ctx.step_delay_s)
    await ctx.progress(90, "Formatting results...")
    return PipelineResult(
        output={"result": results[-1]},
        handler_output={"handlerType": "code_agent_language_model", "steps": trace},
    )


PLUGIN = Plugin(handler_type="code_agent_language_model", run=run)
