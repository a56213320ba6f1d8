"""`threat_intel_sigma`: threat-intelligence text in, Sigma rules and ATT&CK techniques out."""

from __future__ import annotations

import asyncio

from services.handler.plugins.base import PipelineContext, PipelineError, PipelineResult, Plugin
from services.handler.plugins.threat_intel.indicators import find
from services.handler.plugins.threat_intel.rules import InvalidRule, render, rule_specs


async def run(ctx: PipelineContext) -> PipelineResult:
    text = ctx.execution.input.data_inputs.get("text")
    if not isinstance(text, str) or not text.strip():
        raise PipelineError("PipelineFailed: input text is empty")
    await ctx.progress(10, "Extracting indicators...")
    findings = find(text)
    await asyncio.sleep(ctx.step_delay_s)
    await ctx.progress(40, "Mapping ATT&CK techniques...")
    if findings.indicator_count == 0:
        raise PipelineError("PipelineFailed: no indicators (IP addresses, domains, hashes, file names) in the input")
    await asyncio.sleep(ctx.step_delay_s)
    await ctx.progress(70, "Generating Sigma rules...")
    seed = ctx.execution.execution_id
    try:
        rules = [
            {"title": spec.title, "indicatorType": spec.kind, "yaml": render(spec, findings.techniques, seed)}
            for spec in rule_specs(findings)
        ]
    except InvalidRule as error:
        raise PipelineError(f"PipelineFailed: generated an invalid rule ({error})") from error
    await asyncio.sleep(ctx.step_delay_s)
    output = {
        "inputType": ctx.execution.input.data_inputs.get("inputType", "text"),
        "rules": rules,
        "ttps": findings.techniques,
        "indicators": findings.indicators(),
        "rulesGenerated": len(rules),
        "ttpsExtracted": len(findings.techniques),
    }
    return PipelineResult(output=output)


PLUGIN = Plugin(handler_type="threat_intel_sigma", run=run)
