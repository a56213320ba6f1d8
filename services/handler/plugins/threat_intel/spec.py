"""A rule to generate, before it is Sigma: what it matches, where, and what it is about."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.handler.plugins.threat_intel.catalogue import Technique


@dataclass(frozen=True)
class RuleSpec:
    indicator_type: str
    title: str
    category: str
    detection: Mapping[str, Any]
    level: str
    techniques: tuple[Technique, ...]
    description: str
    falsepositives: tuple[str, ...] = ("Unknown",)


def some(values: list[str], others: str) -> str:
    """The first values by name, the rest counted, so a title says what it matches."""
    if len(values) <= 3:
        return " or ".join([", ".join(values[:-1]), values[-1]]) if len(values) > 1 else values[0]
    return f"{', '.join(values[:2])} or {len(values) - 2} other {others}"


def described(values: list[str], noun: str, nouns: str) -> str:
    return f"Matches {len(values)} {noun if len(values) == 1 else nouns} reported as indicators of compromise."
