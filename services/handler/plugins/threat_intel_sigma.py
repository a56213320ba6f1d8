"""`threat_intel_sigma`: threat-intelligence text in, Sigma rules and ATT&CK techniques out."""

from __future__ import annotations

import asyncio

from services.handler.plugins.base import PipelineContext, PipelineError, PipelineResult, Plugin
from services.handler.plugins.threat_intel.indicators import find_indicators
from services.handler.plugins.threat_intel.output import (
    NothingToDetect,
    check_something_to_detect,
    document,
    rule_output,
)
from services.handler.plugins.threat_intel.render import InvalidRule
from services.handler.plugins.threat_intel.rules import rule_specs
from services.handler.plugins.threat_intel.techniques import find_techniques

INPUT = "text"


async def run(ctx: PipelineContext) -> PipelineResult:
    execution = ctx.execution
    text = execution.input.data_inputs.get(INPUT)
    if not isinstance(text, str) or not text.strip():
        raise PipelineError(f"Input validation failed: dataInputs.{INPUT} must be a non-empty string")
    await ctx.progress(10, "Extracting indicators...")
    indicators = find_indicators(text)
    await asyncio.sleep(ctx.step_delay_s)
    await ctx.progress(40, "Mapping ATT&CK techniques...")
    # Technique ids are read from the refanged text, where indicator positions are counted too.
    techniques = find_techniques(indicators.text)
    specs = rule_specs(indicators, techniques)
    try:
        check_something_to_detect(specs, indicators, techniques)
    except NothingToDetect as error:
        raise PipelineError(str(error)) from error
    await asyncio.sleep(ctx.step_delay_s)
    await ctx.progress(70, "Generating Sigma rules...")
    try:
        rules = [rule_output(spec, execution.created_at.date(), execution.execution_id) for spec in specs]
    except InvalidRule as error:
        raise PipelineError(f"PipelineFailed: generated an invalid rule ({error})") from error
    await asyncio.sleep(ctx.step_delay_s)
    input_type = str(execution.input.data_inputs.get("inputType", "text"))
    return PipelineResult(output=document(input_type, rules, indicators, techniques))


PLUGIN = Plugin(handler_type="threat_intel_sigma", run=run)
