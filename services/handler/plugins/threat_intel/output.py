"""The pipeline's output document: rules with their queries, techniques, indicators, and what
was set aside and why."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.handler.plugins.threat_intel.catalogue import source
from services.handler.plugins.threat_intel.indicators import IndicatorFindings
from services.handler.plugins.threat_intel.queries import queries
from services.handler.plugins.threat_intel.render import parse, rule_id, to_yaml
from services.handler.plugins.threat_intel.spec import RuleSpec
from services.handler.plugins.threat_intel.techniques import TechniqueFindings


class NothingToDetect(Exception):
    """The input names no indicator and no technique a rule can be made from."""


def rule_output(spec: RuleSpec, day: date, execution_id: str) -> dict[str, Any]:
    """One rule, checked by pySigma (raises `InvalidRule`) and converted for each SIEM."""
    text = to_yaml(spec, day, execution_id)
    return {
        "id": rule_id(spec),
        "title": spec.title,
        "level": spec.level,
        "techniques": [technique.id for technique in spec.techniques],
        "indicatorType": spec.indicator_type,
        "yaml": text,
        "queries": queries(parse(text)),
    }


def document(
    input_type: str, rules: list[dict[str, Any]], indicators: IndicatorFindings, techniques: TechniqueFindings
) -> dict[str, Any]:
    return {
        "inputType": input_type,
        "rules": rules,
        "ttps": [technique.id for technique in techniques.known],
        "techniques": [technique.to_json() for technique in techniques.known],
        "unrecognisedTechniques": [entry.to_json() for entry in techniques.unrecognised],
        "indicators": indicators.to_json(),
        "dropped": [entry.to_json() for entry in indicators.dropped],
        "rulesGenerated": len(rules),
        "ttpsExtracted": len(techniques.known),
        "attackCatalogue": source(),
    }


def check_something_to_detect(
    specs: list[RuleSpec], indicators: IndicatorFindings, techniques: TechniqueFindings
) -> None:
    if specs or techniques.known:
        return
    details = [f"{entry.value} ({entry.reason})" for entry in indicators.dropped[:5]]
    details += [f"{entry.id} ({entry.reason})" for entry in techniques.unrecognised[:5]]
    found_only = [i.value for i in indicators.kept]  # CVEs and email addresses: no log rule matches them
    if found_only:
        details.append(f"found only {', '.join(found_only[:5])}, which no log rule can match")
    suffix = f"; set aside: {'; '.join(details)}" if details else ""
    raise NothingToDetect(f"Input validation failed: found no indicators or ATT&CK techniques to detect{suffix}")
