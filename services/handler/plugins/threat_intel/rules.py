"""What to detect: one rule spec per log source an indicator kind is seen in, and one per
behaviour of a technique the report names. Each carries only its own techniques."""

from __future__ import annotations

import functools
from collections.abc import Callable

from services.handler.plugins.threat_intel.behaviours import behaviours_for
from services.handler.plugins.threat_intel.catalogue import Technique
from services.handler.plugins.threat_intel.context import techniques_near
from services.handler.plugins.threat_intel.host_rules import files, files_by_source, hashes, hashes_by_source
from services.handler.plugins.threat_intel.indicators import Indicator, IndicatorFindings
from services.handler.plugins.threat_intel.network_rules import addresses, domains, urls
from services.handler.plugins.threat_intel.spec import RuleSpec
from services.handler.plugins.threat_intel.techniques import TechniqueFindings

# A C2 address is not evidence of process injection named in the same sentence, nor a file of
# exfiltration: tactics an indicator kind can show.
NETWORK_TACTICS = frozenset({"command-and-control", "exfiltration", "initial-access", "lateral-movement"})
HOST_TACTICS = frozenset({"execution", "persistence", "privilege-escalation", "defense-evasion", "credential-access",
                          "discovery", "collection", "impact", "initial-access", "lateral-movement"})  # fmt: skip


def rule_specs(indicators: IndicatorFindings, techniques: TechniqueFindings) -> list[RuleSpec]:
    def own(found: list[Indicator], tactics: frozenset[str]) -> tuple[Technique, ...]:
        near = {tid for i in found for tid in techniques_near(indicators.text, i.starts, techniques.mentions)}
        return tuple(t for t in techniques.known if t.id in near and set(t.tactics) & tactics)

    found_files = indicators.of("files")
    builders: list[tuple[Builder, list[Indicator], frozenset[str]]] = [
        (addresses, indicators.of("ipv4") + indicators.of("ipv6"), NETWORK_TACTICS),
        (domains, indicators.of("domains"), NETWORK_TACTICS),
        (urls, indicators.of("urls"), NETWORK_TACTICS),
    ]
    for loaded, group in hashes_by_source(indicators.text, indicators.of("hashes"), found_files).items():
        builders.append((functools.partial(hashes, loaded, group), [h for h, _ in group], HOST_TACTICS))
    for kind, found in files_by_source(found_files).items():
        builders.append((functools.partial(files, kind), found, HOST_TACTICS))
    specs = [build(found, own(found, tactics)) for build, found, tactics in builders if found]
    return specs + [spec for technique in techniques.known for spec in _behaviours(technique)]


Builder = Callable[[list[Indicator], tuple[Technique, ...]], RuleSpec]


def _behaviours(technique: Technique) -> list[RuleSpec]:
    return [
        RuleSpec("behaviour", b.title, b.category, b.detection, b.level, (technique,),
                 f"{b.title}: a common form of {technique.name} ({technique.id}) named in the report.",
                 b.falsepositives or ("Unknown",))
        for b in behaviours_for(technique.id)
    ]  # fmt: skip
