"""`code_agent_language_model`: runs the pipeline's configured Python steps, each in a sandbox.

`pipelineConfiguration.steps` is a list of `{"name", "code"}`. Each step sees `inputs` (the
execution's `dataInputs`) and `results` (what the steps before it returned) and assigns
`result`; the last step's result is the output. Progress is reported per step.

The catalog's own steps are the operator's code. Steps a tenant wrote (a pipeline of its own,
POST /pipelines) run only where the operator allowed them (`ALLOW_TENANT_CODE_STEPS`), and then
only behind the sandbox's OS-level boundary: where the machine cannot set it up, they fail.
"""

from __future__ import annotations

import asyncio
from typing import Any

from contracts.events import JsonObject
from projections.state import ExecutionState
from services.catalog import demo_catalog
from services.handler.plugins.base import PipelineContext, PipelineError, PipelineResult, Plugin
from services.handler.plugins.sandbox import Isolation, SandboxLimits, StepFailed, run_step

HANDLER_TYPE = "code_agent_language_model"
LIMITS = SandboxLimits()
CATALOG_STEPS: dict[str, JsonObject] = {
    p.pipeline_id: p.configuration for p in demo_catalog().all() if p.handler_type == HANDLER_TYPE
}
"""The operator's own steps, by pipeline id: anything else was written by a tenant."""
TENANT_CODE_DISABLED = (
    "PipelineFailed: tenant-authored code steps are disabled by the operator (set ALLOW_TENANT_CODE_STEPS=true on "
    "the handler to run them)"
)


def configured_steps(ctx: PipelineContext) -> list[dict[str, str]]:
    steps = ctx.execution.pipeline_configuration.get("steps")
    valid = isinstance(steps, list) and steps and all(
        isinstance(s, dict) and isinstance(s.get("name"), str) and isinstance(s.get("code"), str) for s in steps
    )  # fmt: skip
    if not valid:
        raise PipelineError("PipelineFailed: pipelineConfiguration.steps must be a non-empty list of {name, code}")
    return steps  # type: ignore[return-value]


def isolation_for(ctx: PipelineContext) -> Isolation:
    if is_from_catalog(ctx.execution):
        return Isolation.PREFERRED
    if not ctx.allow_tenant_code_steps:
        raise PipelineError(TENANT_CODE_DISABLED)
    return Isolation.REQUIRED


def is_from_catalog(execution: ExecutionState) -> bool:
    """The catalog's pipeline with the catalog's steps (a log entry claiming its id with other steps is not)."""
    return CATALOG_STEPS.get(execution.pipeline_id) == execution.pipeline_configuration


async def run(ctx: PipelineContext) -> PipelineResult:
    steps = configured_steps(ctx)
    isolation = isolation_for(ctx)
    await ctx.progress(0, "Initializing...")
    results: list[Any] = []
    trace = []
    for index, step in enumerate(steps):
        await asyncio.sleep(ctx.step_delay_s)
        await ctx.progress(10 + 80 * index // len(steps), f"Running step {index + 1}/{len(steps)}: {step['name']}...")
        try:
            results.append(await run_step(step["code"], ctx.execution.input.data_inputs, results, LIMITS, isolation))
        except StepFailed as error:
            raise PipelineError(f"PipelineFailed: step '{step['name']}' failed: {error}") from error
        trace.append({"step": step["name"], "ok": True})
    await asyncio.sleep(ctx.step_delay_s)
    await ctx.progress(90, "Formatting results...")
    return PipelineResult(
        output={"result": results[-1]},
        handler_output={"handlerType": HANDLER_TYPE, "steps": trace},
    )


PLUGIN = Plugin(handler_type=HANDLER_TYPE, run=run)
