"""The threat_intel_sigma pipeline end to end on three realistic reports: one with defanged
indicators among benign ones, one of behaviours and technique ids only, one mixed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sigma.collection import SigmaCollection

from contracts.events import ExecutionInput
from projections.state import ExecutionState, Status
from services.handler.plugins.base import PipelineContext, PipelineError
from services.handler.plugins.threat_intel_sigma import PLUGIN

CREATED = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)

DEFANGED = """\
Threat advisory: ORCHID loader campaign (March)

Between 3 and 9 March the actor sent spear-phishing emails carrying an ISO attachment (T1566.001).
The ISO held invoice_0312.lnk, which started mshta.exe to run hxxps://cdn-updates[.]top/inv.hta.
The HTA dropped orchid.dll into %APPDATA% and loaded it with rundll32.exe (T1218.011). The loader
injected into svchost.exe and explorer.exe (T1055) and beaconed over HTTPS (T1071.001) to
45.77.12[.]9 and 185.220.101[.]47, using the domains update-check[.]net and telemetry-sync(dot)org.

Traffic from victims to login.microsoftonline.com and github.com was normal and not part of the
intrusion; the lure imitated a contoso.com invoice. The loader's config held the placeholder
address 203.0.113.15, and the malware also touched the internal file server 10.20.30.40.

File hashes:
SHA256 0f3c6b0d7a1b4e5f9a8c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6  invoice_0312.lnk
SHA1   2fd4e1c67a2d28fced849ee1bb76e7391b93eb12  orchid.dll
MD5    7e1f5a3c9b2d4e6f8a0b1c2d3e4f5a6b  orchid.dll
MD5    d41d8cd98f00b204e9800998ecf8427e  (zero-byte decoy in the ISO)
"""

BEHAVIOURS = """\
Incident summary: hands-on-keyboard intrusion at a logistics customer

No network indicators or file hashes were recovered; the operators lived off the land. Their
behaviour, mapped to ATT&CK:
- Execution: PowerShell started with -EncodedCommand by a WMI provider host (T1059.001, T1047).
- Defense evasion: mshta ran a remote HTA application (T1218.005); regsvr32 fetched a scriptlet
  (T1218.010).
- Credential access: LSASS memory was dumped with comsvcs MiniDump through rundll32 (T1003.001).
- Persistence: a scheduled task (T1053.005) and a Run key (T1547.001).
- Discovery: whoami /all and nltest /domain_trusts (T1033, T1482).
- Impact: vssadmin delete shadows /all /quiet before the ransomware ran (T1490).
The source report also cites T9999 (a typo) and T1086, the retired PowerShell technique id.
"""

MIXED = """\
Flash report: edge-device intrusion and data theft

Initial access was exploitation of CVE-2023-4966 on the Citrix gateway (T1190); the same actor
has used CVE-2024-3400. Follow-up phishing came from billing@invoices-secure[.]com and, spoofed,
hr-notice@contoso.com. The implant read its settings from config.json and settings.ini, staged
data in archive.7z and called out to 2a05:d014:5c0:2600::1f, to hxxp://91.215.85[.]17/gate.php
and to files-share[.]xyz. Sandbox traffic to 2001:db8::53 and 198.51.100.23 belongs to the lab.
A web shell was written as errorEE.aspx (T1505.003) and update.ps1 was run through PowerShell.
Data left through the C2 channel (T1041) and to cloud storage (T1567.002).
SHA256 of the web shell: 8c1f0b4e2d6a9f3b7c5e1d0a2b4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d
SHA256 of an empty dropped file: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
"""


def execution(text: str, execution_id: str = "exec-1") -> ExecutionState:
    return ExecutionState(
        execution_id=execution_id, pipeline_id="pl_threat_intel_sigma", pipeline_name="Threat intel to Sigma",
        pipeline_handler_type="threat_intel_sigma", pipeline_inputs_schema={}, pipeline_outputs_schema={},
        pipeline_configuration={}, status=Status.RUNNING, input=ExecutionInput(data_inputs={"text": text}),
        created_at=CREATED, created_by="tnt_a/key_1", sequence=2, tenant_id="tnt_a", correlation_id="corr-1",
    )  # fmt: skip


def generate(text: str, execution_id: str = "exec-1") -> dict[str, Any]:
    async def progress(pct: int, message: str) -> None:
        pass

    async def run() -> dict[str, Any]:
        ctx = PipelineContext(execution=execution(text, execution_id), progress=progress, step_delay_s=0)
        return dict((await PLUGIN.run(ctx)).output)

    return asyncio.run(run())


def rule(output: dict[str, Any], title_start: str) -> dict[str, Any]:
    (found,) = [r for r in output["rules"] if r["title"].startswith(title_start)]
    return dict(found)


def tags(rule_output: dict[str, Any]) -> set[str]:
    (parsed,) = SigmaCollection.from_yaml(rule_output["yaml"]).rules
    return {str(tag) for tag in parsed.tags}


@pytest.mark.parametrize("report", [DEFANGED, BEHAVIOURS, MIXED])
def test_every_rule_parses_converts_and_keeps_the_v1_summary_fields(report: str) -> None:
    output = generate(report)
    assert output["rulesGenerated"] == len(output["rules"]) > 0
    assert output["ttpsExtracted"] == len(output["ttps"]) == len(output["techniques"])
    for generated in output["rules"]:
        (parsed,) = SigmaCollection.from_yaml(generated["yaml"]).rules
        assert parsed.title == generated["title"] and parsed.level is not None
        assert str(parsed.level.name).lower() == generated["level"]
        assert parsed.date is not None and parsed.date.isoformat() == "2026-03-12", "dated by the execution"
        assert set(generated["queries"]) == {"splunk", "elasticsearch"}
        assert all(query.strip() for query in generated["queries"].values())


def test_benign_values_are_reported_as_dropped_and_never_detected() -> None:
    output = generate(DEFANGED)
    dropped = {entry["value"]: entry["reason"] for entry in output["dropped"]}
    benign = ["login.microsoftonline.com", "github.com", "contoso.com", "203.0.113.15", "10.20.30.40",
        "svchost.exe", "explorer.exe", "rundll32.exe", "mshta.exe",
        "d41d8cd98f00b204e9800998ecf8427e"]  # fmt: skip
    assert set(benign) <= set(dropped) and all(dropped.values())
    # Behaviour rules name rundll32.exe on purpose: its abuse, not the program, is what they match.
    indicator_rules = "\n".join(r["yaml"] for r in output["rules"] if r["indicatorType"] != "behaviour")
    assert not [value for value in benign if value in indicator_rules]


def test_rules_are_titled_levelled_and_tagged_by_their_own_content() -> None:
    output = generate(DEFANGED)
    network = rule(output, "Network connection to 45.77.12.9 or 185.220.101.47")
    assert network["level"] == "medium"
    assert tags(network) == {"attack.command-and-control", "attack.t1071.001"}, "not T1055 of the same sentence"
    library = rule(output, "Library orchid.dll loaded")
    assert tags(library) == {"attack.defense-evasion", "attack.t1218.011"}
    hashes = rule(output, "Library loaded with the hash of orchid.dll")
    assert hashes["level"] == "high" and "image_load" in hashes["yaml"], "a DLL's hash is seen as it loads"
    assert "tags" not in rule(output, "File invoice_0312.lnk written")["yaml"], "no technique is named with it"
    assert len({r["title"] for r in output["rules"]}) == len(output["rules"])


def test_a_report_of_behaviours_only_gets_behaviour_rules_and_reports_unknown_ids() -> None:
    output = generate(BEHAVIOURS)
    assert output["indicators"]["ipv4"] == output["indicators"]["hashes"] == []
    assert "T1059.001" in output["ttps"] and "T1003.001" in output["ttps"]
    assert {"T9999", "T1086"} == {entry["id"] for entry in output["unrecognisedTechniques"]}
    assert "T1086" not in output["ttps"] and "T9999" not in output["ttps"]
    powershell = rule(output, "PowerShell run with an encoded command")
    assert powershell["techniques"] == ["T1059.001"] and powershell["level"] in {"low", "medium"}
    assert tags(powershell) == {"attack.execution", "attack.t1059.001"}
    assert "-enc" in powershell["yaml"] and "process_creation" in powershell["yaml"]
    lsass = [r for r in output["rules"] if r["techniques"] == ["T1003.001"]]
    assert any("process_access" in r["yaml"] and "lsass.exe" in r["yaml"] for r in lsass)
    assert next(t for t in output["techniques"] if t["id"] == "T1218.005") == {
        "id": "T1218.005", "name": "Mshta", "tactics": ["defense-evasion"]}  # fmt: skip


def test_a_mixed_report_keeps_cves_emails_and_ipv6_and_never_makes_config_json_a_domain() -> None:
    output = generate(MIXED)
    indicators = output["indicators"]
    assert indicators["cves"] == ["CVE-2023-4966", "CVE-2024-3400"]
    assert indicators["emails"] == ["billing@invoices-secure.com"]
    assert indicators["ipv6"] == ["2a05:d014:5c0:2600::1f"]
    assert "config.json" not in indicators["domains"] and "settings.ini" not in indicators["domains"]
    assert {entry["value"] for entry in output["dropped"]} >= {"config.json", "2001:db8::53", "198.51.100.23"}
    assert "update.ps1" in rule(output, "Script update.ps1 on a command line")["yaml"]
    assert "errorEE.aspx" in rule(output, "File archive.7z or errorEE.aspx written")["yaml"]


def test_rule_ids_come_from_content_so_reruns_give_the_same_rules() -> None:
    first, second = generate(DEFANGED, "exec-1"), generate(DEFANGED, "exec-2")
    assert [r["id"] for r in first["rules"]] == [r["id"] for r in second["rules"]]
    assert len({r["id"] for r in first["rules"]}) == len(first["rules"])
    other = generate("C2 at 91.215.85[.]17.")
    assert rule(other, "Network connection")["id"] not in {r["id"] for r in first["rules"]}


@pytest.mark.parametrize(
    "text", ["A vague report about an actor.", "Traffic to github.com and 203.0.113.7 only.", "It cites T9999."]
)
def test_input_with_nothing_to_detect_is_an_input_error_not_an_internal_one(text: str) -> None:
    with pytest.raises(PipelineError) as raised:
        generate(text)
    message = str(raised.value)
    assert message.startswith("Input validation failed: found no indicators or ATT&CK techniques to detect")
    assert "PipelineFailed" not in message


def test_empty_text_is_an_input_error() -> None:
    with pytest.raises(PipelineError, match=r"^Input validation failed: dataInputs.text"):
        generate("   ")
