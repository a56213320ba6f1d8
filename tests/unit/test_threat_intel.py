"""Finding indicators and ATT&CK techniques in threat-intel text, and setting aside benign values."""

import pytest

from services.handler.plugins.threat_intel.catalogue import Technique, lookup
from services.handler.plugins.threat_intel.indicators import find_indicators, refang
from services.handler.plugins.threat_intel.techniques import find_techniques


def dropped(text: str) -> dict[str, str]:
    return {entry.value: entry.reason for entry in find_indicators(text).dropped}


def test_defanged_network_indicators_are_found_refanged() -> None:
    found = find_indicators(
        "Payload at hxxps://cdn-updates[.]top/inv.hta. C2 45.77.12[.]9, 2a05:d014:5c0:2600::1f and "
        "telemetry-sync(dot)org; mail from billing[@]invoices-secure[.]com (CVE-2023-4966)."
    ).to_json()
    assert found["urls"] == ["https://cdn-updates.top/inv.hta"], "trailing punctuation is not part of a URL"
    assert found["ipv4"] == ["45.77.12.9"]
    assert found["ipv6"] == ["2a05:d014:5c0:2600::1f"]
    assert {"cdn-updates.top", "telemetry-sync.org", "invoices-secure.com"} <= set(found["domains"])
    assert found["emails"] == ["billing@invoices-secure.com"]
    assert found["cves"] == ["CVE-2023-4966"]
    assert found["files"] == [], "a file named in a URL's path is the URL's indicator"


def test_hashes_of_each_kind_are_found_and_the_empty_file_hash_is_dropped() -> None:
    text = (
        "SHA256 0f3c6b0d7a1b4e5f9a8c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6, SHA1 "
        "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12, MD5 7E1F5A3C9B2D4E6F8A0B1C2D3E4F5A6B and MD5 "
        "d41d8cd98f00b204e9800998ecf8427e."
    )
    assert len(find_indicators(text).to_json()["hashes"]) == 3
    assert "7e1f5a3c9b2d4e6f8a0b1c2d3e4f5a6b" in find_indicators(text).to_json()["hashes"]
    assert dropped(text) == {"d41d8cd98f00b204e9800998ecf8427e": "hash of an empty file"}


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("203.0.113.15", "documentation range 203.0.113.0/24 (RFC 5737)"),
        ("198.51.100.23", "documentation range 198.51.100.0/24 (RFC 5737)"),
        ("2001:db8::53", "documentation range 2001:db8::/32 (RFC 3849)"),
        ("10.20.30.40", "private"),
        ("8.8.8.8", "public DNS resolver"),
        ("login.microsoftonline.com", "well-known"),
        ("github.com", "well-known"),
        ("contoso.com", "example domain"),
        ("www.example.org", "example domain"),
        ("svchost.exe", "system binary"),
        ("explorer.exe", "system binary"),
        ("rundll32.exe", "system binary"),
        ("config.json", "generic data or configuration file"),
    ],
)
def test_benign_and_documentation_values_are_dropped_with_a_reason(value: str, reason: str) -> None:
    report = f"The sample touched {value} during the run."
    assert reason in dropped(report)[value]
    assert all(value not in values for values in find_indicators(report).to_json().values())


def test_file_names_never_become_domains_unless_written_as_one() -> None:
    found = find_indicators("It ran setup.py and opened payload.zip, then reached evil-site[.]zip.")
    assert found.to_json()["domains"] == ["evil-site.zip"], "a defanged name was meant as a domain"
    assert found.to_json()["files"] == ["setup.py", "payload.zip"]
    assert "file extension" in dropped("It ran setup.py.")["setup.py"]


def test_refang_leaves_prose_and_technique_ids_alone() -> None:
    assert refang("over HTTPS (T1071.001) to hxxp://a[.]b(dot)c [dot] d") == "over HTTPS (T1071.001) to http://a.b.c.d"


def test_technique_ids_are_recognised_wherever_they_appear_with_catalogue_names() -> None:
    found = find_techniques(
        "See https://attack.mitre.org/techniques/T1059/001/, tag attack.t1218.005, (T1055), and T1003.001; "
        "not AT1234 nor T10591."
    )
    assert [technique.id for technique in found.known] == ["T1059.001", "T1218.005", "T1055", "T1003.001"]
    assert found.known[0] == Technique("T1059.001", "PowerShell", ("execution",))
    assert found.unrecognised == []


def test_unknown_and_retired_ids_are_reported_not_invented() -> None:
    found = find_techniques("It cites T9999 and T1086.")
    assert found.known == []
    reasons = {entry.id: entry.reason for entry in found.unrecognised}
    assert "not a technique" in reasons["T9999"]
    assert "retired" in reasons["T1086"] and "T1059.001" in reasons["T1086"]


def test_the_catalogue_knows_tactics_of_current_techniques() -> None:
    assert lookup("T1053.005") == Technique(
        "T1053.005", "Scheduled Task", ("execution", "persistence", "privilege-escalation")
    )
