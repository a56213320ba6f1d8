"""Detection logic for common techniques, for reports that describe behaviour rather than
indicators. Each entry is a narrow, well-known pattern of the technique on Windows (process
creation, access or registry events as Sysmon and Windows security logging record them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SHELLS = ["\\cmd.exe", "\\powershell.exe", "\\pwsh.exe", "\\wscript.exe", "\\cscript.exe", "\\mshta.exe"]


@dataclass(frozen=True)
class Behaviour:
    technique: str
    title: str
    category: str
    detection: Mapping[str, Any]
    level: str
    falsepositives: tuple[str, ...] = ("Administrative scripts that do the same",)


def _all(**selection: Any) -> dict[str, Any]:
    return {"selection": selection, "condition": "selection"}


BEHAVIOURS: tuple[Behaviour, ...] = (
    Behaviour("T1059.001", "PowerShell run with an encoded command", "process_creation", _all(**{
        "Image|endswith": ["\\powershell.exe", "\\pwsh.exe"],
        "CommandLine|contains": [" -enc ", " -encodedcommand ", " -ec "]}), "medium"),
    Behaviour("T1218.005", "Mshta running a remote or inline script", "process_creation", _all(**{
        "Image|endswith": "\\mshta.exe",
        "CommandLine|contains": ["http://", "https://", "javascript:", "vbscript:"]}), "medium"),
    Behaviour("T1218.010", "Regsvr32 loading a remote scriptlet", "process_creation", _all(**{
        "Image|endswith": "\\regsvr32.exe",
        "CommandLine|contains": ["/i:http", "-i:http", "scrobj.dll"]}), "medium"),
    Behaviour("T1218.011", "Rundll32 loading a DLL from a user-writable folder", "process_creation", _all(**{
        "Image|endswith": "\\rundll32.exe",
        "CommandLine|contains": ["\\AppData\\", "\\Temp\\", "\\Users\\Public\\", "\\ProgramData\\"]}), "low"),
    Behaviour("T1003.001", "LSASS memory read with dumping access rights", "process_access", _all(**{
        "TargetImage|endswith": "\\lsass.exe",
        "GrantedAccess|contains": ["0x1010", "0x1410", "0x1438", "0x143a", "0x1fffff"]}), "medium",
        ("Security and backup software that inspects LSASS",)),
    Behaviour("T1003.001", "LSASS dumped through comsvcs MiniDump", "process_creation", _all(**{
        "CommandLine|contains|all": ["comsvcs", "minidump"]}), "medium", ()),
    Behaviour("T1047", "Shell started by the WMI provider host", "process_creation", _all(**{
        "ParentImage|endswith": "\\WmiPrvSE.exe", "Image|endswith": SHELLS}), "medium"),
    Behaviour("T1053.005", "Scheduled task created from the command line", "process_creation", _all(**{
        "Image|endswith": "\\schtasks.exe", "CommandLine|contains": "/create"}), "low",
        ("Software installers and administrators creating tasks",)),
    Behaviour("T1547.001", "Run key value written", "registry_set", _all(**{
        "TargetObject|contains": ["\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\",
                                  "\\Software\\Microsoft\\Windows\\CurrentVersion\\RunOnce\\"]}), "low",
        ("Software installers registering autostart programs",)),
    Behaviour("T1490", "Shadow copies or recovery deleted", "process_creation", {
        "vssadmin": {"Image|endswith": "\\vssadmin.exe", "CommandLine|contains|all": ["delete", "shadows"]},
        "wmic": {"Image|endswith": "\\wmic.exe", "CommandLine|contains|all": ["shadowcopy", "delete"]},
        "wbadmin": {"Image|endswith": "\\wbadmin.exe", "CommandLine|contains|all": ["delete", "catalog"]},
        "condition": "vssadmin or wmic or wbadmin"}, "medium"),
    Behaviour("T1482", "Domain trusts enumerated", "process_creation", _all(**{
        "Image|endswith": "\\nltest.exe",
        "CommandLine|contains": ["/domain_trusts", "/all_trusts", "/trusted_domains"]}), "low"),
    Behaviour("T1033", "Current user and privileges listed with whoami", "process_creation", _all(**{
        "Image|endswith": "\\whoami.exe", "CommandLine|contains": ["/all", "/priv", "/groups"]}), "low"),
    Behaviour("T1105", "Windows utility downloading a file", "process_creation", {
        "certutil": {"Image|endswith": "\\certutil.exe", "CommandLine|contains": ["-urlcache", "/urlcache"]},
        "bitsadmin": {"Image|endswith": "\\bitsadmin.exe", "CommandLine|contains": ["/transfer", "/addfile"]},
        "condition": "certutil or bitsadmin"}, "medium"),
    Behaviour("T1505.003", "Shell started by a web server process", "process_creation", _all(**{
        "ParentImage|endswith": ["\\w3wp.exe", "\\httpd.exe", "\\nginx.exe", "\\php-cgi.exe", "\\tomcat.exe"],
        "Image|endswith": SHELLS + ["\\whoami.exe"]}), "medium"),
    Behaviour("T1070.001", "Windows event log cleared with wevtutil", "process_creation", _all(**{
        "Image|endswith": "\\wevtutil.exe", "CommandLine|contains": [" cl ", " clear-log "]}), "medium"),
    Behaviour("T1562.001", "Microsoft Defender protection turned off", "process_creation", _all(**{
        "CommandLine|contains": ["DisableRealtimeMonitoring", "DisableBehaviorMonitoring", "DisableIOAVProtection"]}),
        "medium"),
)  # fmt: skip


def behaviours_for(technique_id: str) -> list[Behaviour]:
    return [behaviour for behaviour in BEHAVIOURS if behaviour.technique == technique_id]
