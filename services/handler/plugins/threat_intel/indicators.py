"""Indicators of compromise in report text, found by ioc-finder (which undoes defanging:
hxxp, [.], (dot), [@]…), plus file names, with benign and documentation values set aside."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

# It ships no type information (no py.typed); its entry point is used as documented.
from ioc_finder import find_iocs  # type: ignore[import-untyped]

from services.handler.plugins.threat_intel import benign

KINDS = ("ipv4", "ipv6", "domains", "urls", "hashes", "emails", "cves", "files")
FOUND_AS = {"ipv4s": "ipv4", "ipv6s": "ipv6", "domains": "domains", "urls": "urls", "md5s": "hashes",
            "sha1s": "hashes", "sha256s": "hashes", "email_addresses": "emails", "cves": "cves"}  # fmt: skip
FILE_SUFFIXES = ("exe|scr|dll|sys|cpl|ocx|ps1|psm1|bat|cmd|vbs|vbe|js|jse|wsf|hta|msi|lnk|iso|img|vhdx?|zip|rar|7z"
                 "|cab|docm?|docx|xlsm?|xlsx|pptx?|pdf|rtf|one|jar|py|sh|so|dylib|apk|aspx?|ashx|php|jspx?|txt"
                 "|json|ini|xml|cfg|conf|ya?ml|log|dat|tmp|csv")  # fmt: skip
FILE_NAME = re.compile(rf"(?<![\w.\-@])[\w\-][\w.\-]*\.(?:{FILE_SUFFIXES})(?![\w\-])", re.IGNORECASE)
# Endings that are file extensions and top-level domains too: "setup.py", "readme.md", "a.zip".
FILE_LIKE_TLDS = frozenset(FILE_SUFFIXES.replace("?", "").split("|")) | {"md", "pl", "rs", "go", "mov", "mp4", "ps"}
URL_OR_EMAIL = re.compile(r"\b(?:https?|ftp)://\S+|\S+@\S+", re.IGNORECASE)
TRAILING_PUNCTUATION = ".,;:!?)]}'\""
# ioc-finder undoes defanging itself, more eagerly (it turns "HTTPS (T1071.001)" into
# "httPST1071.001)"); this narrower undoing keeps the prose intact for technique ids and context.
REFANG = ((re.compile(r"\s?[\[({](?:\.|dot)[\])}]\s?", re.IGNORECASE), "."),
          (re.compile(r"\s?[\[({](?:@|at)[\])}]\s?", re.IGNORECASE), "@"),
          (re.compile(r"\[:\]|\[://\]"), lambda m: m.group(0).strip("[]")),
          (re.compile(r"\bh(?:xx|XX)p(s?)(?=\[?:)"), r"http\1"))  # fmt: skip


@dataclass(frozen=True)
class Indicator:
    kind: str
    value: str
    starts: tuple[int, ...]
    """Where the value appears in the refanged text, to tell which techniques go with it."""


@dataclass(frozen=True)
class Dropped:
    kind: str
    value: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"type": self.kind, "value": self.value, "reason": self.reason}


@dataclass(frozen=True)
class IndicatorFindings:
    text: str
    """The report with its defanging undone; `Indicator.starts` index into it."""
    kept: list[Indicator]
    dropped: list[Dropped]

    def of(self, kind: str) -> list[Indicator]:
        return [indicator for indicator in self.kept if indicator.kind == kind]

    def to_json(self) -> dict[str, list[str]]:
        return {kind: [indicator.value for indicator in self.of(kind)] for kind in KINDS}


def refang(text: str) -> str:
    for pattern, plain in REFANG:
        text = pattern.sub(plain, text)
    return text


def find_indicators(text: str) -> IndicatorFindings:
    fanged = refang(text)
    candidates = list(_from_ioc_finder(text)) + [("files", name) for name in _file_names(fanged, text)]
    url_hosts = {_host(value) for kind, value in candidates if kind == "urls"}
    kept: dict[tuple[str, str], Indicator] = {}
    dropped: dict[tuple[str, str], Dropped] = {}
    for kind, value in candidates:
        reason = _reason(kind, value, text, url_hosts)
        if reason is not None:
            dropped.setdefault((kind, value), Dropped(kind, value, reason))
        else:
            kept.setdefault((kind, value), Indicator(kind, value, _occurrences(fanged.lower(), value.lower())))
    in_order = sorted(kept.values(), key=lambda indicator: indicator.starts[:1] or (len(fanged),))
    return IndicatorFindings(fanged, in_order, list(dropped.values()))


def _occurrences(text: str, value: str) -> tuple[int, ...]:
    return tuple(match.start() for match in re.finditer(re.escape(value), text))


def _from_ioc_finder(text: str) -> Iterable[tuple[str, str]]:
    found = find_iocs(text, included_ioc_types=list(FOUND_AS))
    for found_as, kind in FOUND_AS.items():
        for value in found.get(found_as, []):
            assert isinstance(value, str)
            if kind == "urls":
                yield kind, value.rstrip(TRAILING_PUNCTUATION)
            else:
                yield kind, value.upper() if kind == "cves" else value.lower()


def _file_names(fanged: str, original: str) -> list[str]:
    # A file named in a URL's path or an address is covered by the URL or email indicator, and
    # a defanged name (evil-site[.]zip) was meant as a domain.
    prose = URL_OR_EMAIL.sub(" ", fanged)
    names = (match.group(0) for match in FILE_NAME.finditer(prose))
    return list(dict.fromkeys(name for name in names if name.lower() in original.lower()))


def _reason(kind: str, value: str, original: str, url_hosts: set[str]) -> str | None:
    if kind == "domains" and _is_file_name(value, original, url_hosts):
        return f"file name (.{value.rsplit('.', 1)[1]} is a file extension), not a domain"
    check: Callable[[str], str | None] | None = {
        "ipv4": benign.ip_reason, "ipv6": benign.ip_reason, "domains": benign.domain_reason,
        "hashes": benign.hash_reason, "files": benign.file_reason,
        "emails": lambda email: benign.domain_reason(email.rsplit("@", 1)[1]), "urls": _url_reason,
    }.get(kind)  # fmt: skip
    return check(value) if check else None


def _is_file_name(domain: str, original: str, url_hosts: set[str]) -> bool:
    """A two-label name ending in a file extension, written plainly (a defanged or linked one
    was meant as a domain)."""
    labels = domain.split(".")
    written_plainly = domain in original.lower()
    return len(labels) == 2 and labels[1] in FILE_LIKE_TLDS and written_plainly and domain not in url_hosts


def _url_reason(url: str) -> str | None:
    host = _host(url)
    if re.fullmatch(r"[\d.]+|[0-9a-f:]+", host):
        return benign.ip_reason(host)
    reason = benign.domain_reason(host)
    has_path = bool(url.split("://", 1)[-1].partition("/")[2].strip("/"))
    # A path on a well-known host (a payload on a code-hosting site) is still specific.
    return reason if reason and (not has_path or "well-known" not in reason) else None


def _host(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0].split(":")[0].strip("[]").lower()
