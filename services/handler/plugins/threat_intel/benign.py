"""Values a report mentions that must not become detections, each with the reason it is dropped.

A rule on login.microsoftonline.com or svchost.exe fires on every host; a rule on 203.0.113.5 or
contoso.com fires on nothing real. Either is worse than no rule, so they are dropped and reported.
"""

from __future__ import annotations

import ipaddress

DOCUMENTATION_NETWORKS = tuple(
    ipaddress.ip_network(net) for net in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)
PUBLIC_RESOLVERS = frozenset(
    {"8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "208.67.222.222", "208.67.220.220"}
)
EXAMPLE_DOMAINS = frozenset({
    "example.com", "example.net", "example.org", "example.edu",  # RFC 2606
    "contoso.com", "fabrikam.com", "northwindtraders.com", "adventure-works.com", "wingtiptoys.com",
    "tailspintoys.com", "woodgrovebank.com", "litwareinc.com", "proseware.com",  # Microsoft's fictitious
})  # fmt: skip
RESERVED_TLDS = frozenset({"example", "test", "invalid", "localhost", "local", "internal", "lan"})
WELL_KNOWN_DOMAINS = frozenset({
    "microsoft.com", "microsoftonline.com", "windows.com", "windows.net", "windowsupdate.com", "live.com",
    "office.com", "office365.com", "outlook.com", "sharepoint.com", "azure.com", "bing.com", "msn.com",
    "github.com", "google.com", "googleapis.com", "gstatic.com", "gmail.com", "youtube.com", "apple.com",
    "icloud.com", "amazon.com", "cloudflare.com", "akamai.net", "mozilla.org", "wikipedia.org", "twitter.com",
    "x.com", "facebook.com", "linkedin.com", "mitre.org", "virustotal.com", "digicert.com", "verisign.com",
})  # fmt: skip
EMPTY_FILE_HASHES = frozenset({
    "d41d8cd98f00b204e9800998ecf8427e",
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
})  # fmt: skip
# Windows' own programs and libraries: a report names them as the means, not as the malware,
# and a rule on the name alone matches every healthy host. The behaviour rules cover their abuse.
SYSTEM_BINARIES = frozenset({
    "svchost.exe", "explorer.exe", "rundll32.exe", "mshta.exe", "regsvr32.exe", "powershell.exe", "pwsh.exe",
    "cmd.exe", "wscript.exe", "cscript.exe", "lsass.exe", "services.exe", "winlogon.exe", "csrss.exe",
    "smss.exe", "wininit.exe", "taskhostw.exe", "conhost.exe", "dllhost.exe", "wmiprvse.exe", "schtasks.exe",
    "certutil.exe", "bitsadmin.exe", "msiexec.exe", "installutil.exe", "regasm.exe", "regsvcs.exe",
    "msbuild.exe", "wmic.exe", "vssadmin.exe", "wbadmin.exe", "bcdedit.exe", "whoami.exe", "nltest.exe",
    "net.exe", "net1.exe", "reg.exe", "sc.exe", "taskmgr.exe", "notepad.exe", "werfault.exe", "spoolsv.exe",
    "w3wp.exe", "wevtutil.exe", "comsvcs.dll", "kernel32.dll", "ntdll.dll", "user32.dll", "advapi32.dll",
    "shell32.dll", "scrobj.dll", "dbghelp.dll", "msvcrt.dll",
})  # fmt: skip
# Names every program uses for its settings or scratch data: not specific to a threat.
GENERIC_FILE_SUFFIXES = frozenset({"json", "ini", "xml", "cfg", "conf", "yml", "yaml", "log", "dat", "tmp", "csv"})


def ip_reason(value: str) -> str | None:
    address = ipaddress.ip_address(value)
    for net in DOCUMENTATION_NETWORKS:
        if net.version == address.version and address in net:
            return f"documentation range {net} ({'RFC 5737' if net.version == 4 else 'RFC 3849'})"
    if value in PUBLIC_RESOLVERS:
        return "public DNS resolver"
    if not address.is_global:
        return "private, loopback, link-local or reserved address, not routable on the internet"
    return None


def domain_reason(domain: str) -> str | None:
    labels = domain.lower().split(".")
    if labels[-1] in RESERVED_TLDS:
        return f"reserved top-level domain .{labels[-1]} (RFC 2606 / RFC 6761)"
    suffixes = {".".join(labels[i:]) for i in range(len(labels) - 1)}
    if suffixes & EXAMPLE_DOMAINS:
        return "documentation or fictitious example domain"
    if suffixes & WELL_KNOWN_DOMAINS:
        return "well-known legitimate service; a rule on it would fire on normal traffic"
    return None


def hash_reason(value: str) -> str | None:
    return "hash of an empty file" if value.lower() in EMPTY_FILE_HASHES else None


def file_reason(name: str) -> str | None:
    if name.lower() in SYSTEM_BINARIES:
        return "Windows system binary named as a means of execution, not a malicious file"
    if name.rsplit(".", 1)[-1].lower() in GENERIC_FILE_SUFFIXES:
        return "generic data or configuration file name, not specific to the threat"
    return None
