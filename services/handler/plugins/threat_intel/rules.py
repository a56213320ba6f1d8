"""Sigma rules from findings, each one parsed back by pySigma before it is returned."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import yaml
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule

from services.handler.plugins.threat_intel.indicators import Findings

RULE_NAMESPACE = uuid.UUID("6f1c9a52-3d1e-4b7a-9a55-2a4f8e1c0d11")


@dataclass(frozen=True)
class RuleSpec:
    kind: str
    title: str
    logsource: dict[str, str]
    field: str
    values: list[str]


class InvalidRule(Exception):
    """A generated rule that pySigma rejects: a bug here, reported as PipelineFailed."""


def rule_specs(findings: Findings) -> list[RuleSpec]:
    candidates = [
        RuleSpec("ipv4", "Connection to reported IP addresses", _windows("network_connection"), "DestinationIp",
                 findings.ipv4),
        RuleSpec("domains", "DNS query for reported domains", _windows("dns_query"), "QueryName", findings.domains),
        RuleSpec("hashes", "Process with reported file hashes", _windows("process_creation"), "Hashes|contains",
                 findings.hashes),
        RuleSpec("files", "Process image named in the report", _windows("process_creation"), "Image|endswith",
                 [f"\\{name}" for name in findings.files]),
    ]  # fmt: skip
    return [spec for spec in candidates if spec.values]


def render(spec: RuleSpec, techniques: list[str], seed: str) -> str:
    """The rule as Sigma YAML; its id is derived from `seed`, so a re-run writes the same rule."""
    rule: dict[str, Any] = {
        "title": spec.title,
        "id": str(uuid.uuid5(RULE_NAMESPACE, f"{seed}:{spec.kind}")),
        "status": "experimental",
        "description": f"Generated from threat intelligence: {len(spec.values)} {spec.kind} indicator(s).",
        "logsource": spec.logsource,
        "detection": {"selection": {spec.field: spec.values}, "condition": "selection"},
        "level": "high",
    }
    if techniques:
        rule["tags"] = [f"attack.{technique.lower()}" for technique in techniques]
    text = yaml.safe_dump(rule, sort_keys=False)
    try:
        SigmaRule.from_yaml(text)
    except SigmaError as error:
        raise InvalidRule(f"{spec.kind}: {error}") from error
    return text


def _windows(category: str) -> dict[str, str]:
    return {"category": category, "product": "windows"}
