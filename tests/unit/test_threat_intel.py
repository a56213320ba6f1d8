"""Threat-intel text to indicators and Sigma rules that pySigma accepts."""

import pytest
from sigma.collection import SigmaCollection

from services.handler.plugins.threat_intel.indicators import find, refang
from services.handler.plugins.threat_intel.rules import render, rule_specs

REPORT = """
The actor staged payloads on 185.220.101[.]5 and hxxp://update-check[.]net/a, then ran
loader.exe (SHA256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08) through
PowerShell (T1059.001) and pulled tools with T1105. Internal host 10.1.2.3 beaconed out.
"""


def test_indicators_and_techniques_are_found_in_defanged_text() -> None:
    findings = find(REPORT)
    assert findings.techniques == ["T1059.001", "T1105"]
    assert findings.ipv4 == ["185.220.101.5"], "private addresses are not indicators"
    assert findings.domains == ["update-check.net"]
    assert findings.files == ["loader.exe"], "file names are not mistaken for domains"
    assert findings.hashes == ["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"]


def test_refang_undoes_the_usual_defanging() -> None:
    assert refang("hxxps://evil[.]com(.)cn") == "https://evil.com.cn"


def test_every_generated_rule_parses_with_pysigma_and_carries_the_techniques() -> None:
    findings = find(REPORT)
    rules = [render(spec, findings.techniques, "exec-1") for spec in rule_specs(findings)]
    assert len(rules) == 4
    collection = SigmaCollection.from_yaml("\n---\n".join(rules))
    assert len(collection.rules) == 4
    for rule in collection.rules:
        assert {str(tag) for tag in rule.tags} == {"attack.t1059.001", "attack.t1105"}


def test_rule_ids_are_stable_for_the_same_execution() -> None:
    findings = find(REPORT)
    (first, *_) = rule_specs(findings)
    assert render(first, [], "exec-1") == render(first, [], "exec-1")
    assert render(first, [], "exec-1") != render(first, [], "exec-2")


@pytest.mark.parametrize("text", ["nothing to see here", "T1059 only a technique"])
def test_text_without_indicators_gives_no_rules(text: str) -> None:
    assert rule_specs(find(text)) == []
