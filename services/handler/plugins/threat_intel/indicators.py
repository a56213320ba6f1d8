"""Finding ATT&CK technique ids and indicators of compromise in free text."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

TECHNIQUE = re.compile(r"\bT\d{4}(?:\.\d{3})?\b")
IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
HASH = re.compile(r"\b(?:[a-fA-F0-9]{64}|[a-fA-F0-9]{40}|[a-fA-F0-9]{32})\b")
FILE = re.compile(r"\b[\w-]+\.(?:exe|dll|ps1|bat|cmd|vbs|js|hta|scr|msi|lnk|jar)\b", re.IGNORECASE)
DOMAIN = re.compile(r"\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}\b", re.IGNORECASE)
FILE_SUFFIXES = {"exe", "dll", "ps1", "bat", "cmd", "vbs", "js", "hta", "scr", "msi", "lnk", "jar", "zip", "doc",
                 "docx", "xls", "xlsx", "pdf", "txt", "log", "dat", "tmp", "py", "sh"}  # fmt: skip


@dataclass(frozen=True)
class Findings:
    techniques: list[str] = field(default_factory=list)
    ipv4: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def indicator_count(self) -> int:
        return len(self.ipv4) + len(self.domains) + len(self.hashes) + len(self.files)

    def indicators(self) -> dict[str, list[str]]:
        return {"ipv4": self.ipv4, "domains": self.domains, "hashes": self.hashes, "files": self.files}


def refang(text: str) -> str:
    """Undo the usual defanging of reports: hxxp, [.], (.), [:]."""
    for fanged, plain in (("[.]", "."), ("(.)", "."), ("{.}", "."), ("[:]", ":"), ("hxxp", "http")):
        text = text.replace(fanged, plain)
    return text


def find(text: str) -> Findings:
    text = refang(text)
    files = _unique(FILE.findall(text))
    return Findings(
        techniques=_unique(match.upper() for match in TECHNIQUE.findall(text)),
        ipv4=_unique(ip for ip in IPV4.findall(text) if _is_public_ip(ip)),
        domains=_unique(d.lower() for d in DOMAIN.findall(text) if _is_domain(d, files)),
        hashes=_unique(h.lower() for h in HASH.findall(text)),
        files=files,
    )


def _is_public_ip(candidate: str) -> bool:
    try:
        address = ipaddress.IPv4Address(candidate)
    except ValueError:
        return False
    return address.is_global


def _is_domain(candidate: str, files: list[str]) -> bool:
    suffix = candidate.rsplit(".", 1)[-1].lower()
    return suffix not in FILE_SUFFIXES and not suffix.isdigit() and candidate not in files


def _unique(items: Iterable[str]) -> list[str]:
    """In order of first appearance, each once."""
    return list(dict.fromkeys(items))
