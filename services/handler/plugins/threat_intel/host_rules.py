"""Rules for host indicators: file hashes and file names, each in the event that records it
(a DLL is loaded, a script is on a command line, a lure is written), not all as process images."""

from __future__ import annotations

from services.handler.plugins.threat_intel.catalogue import Technique
from services.handler.plugins.threat_intel.context import same_sentence, sentence_starts
from services.handler.plugins.threat_intel.indicators import Indicator
from services.handler.plugins.threat_intel.spec import RuleSpec, described, some

LIBRARY_SUFFIXES = frozenset({"dll", "ocx", "cpl", "sys"})
SCRIPT_SUFFIXES = frozenset({"ps1", "psm1", "bat", "cmd", "vbs", "vbe", "js", "jse", "wsf", "hta", "py", "sh", "jar"})


def hashes_by_source(
    text: str, hashes: list[Indicator], files: list[Indicator]
) -> dict[bool, list[tuple[Indicator, str | None]]]:
    """Each hash with the file a report names beside it, split by whether that file is a library
    (Sysmon records a DLL's hashes when it is loaded, not as a process)."""
    starts = sentence_starts(text)
    groups: dict[bool, list[tuple[Indicator, str | None]]] = {}
    for digest in hashes:
        beside = [(abs(h - f), file.value) for file in files for h in digest.starts for f in file.starts
                  if same_sentence(starts, h, f)]  # fmt: skip
        name = min(beside)[1] if beside else None
        groups.setdefault(bool(name) and suffix(name or "") in LIBRARY_SUFFIXES, []).append((digest, name))
    return groups


def hashes(
    loaded: bool, group: list[tuple[Indicator, str | None]], found: list[Indicator], own: tuple[Technique, ...]
) -> RuleSpec:
    values = [digest.value for digest in found]
    names = list(dict.fromkeys(name for _, name in group if name))
    named = all(name for _, name in group)
    shown = some(names, "reported files") if named else some([f"{v[:12]}…" for v in values], "reported hashes")
    title, category = (f"Library loaded with the hash of {shown}", "image_load") if loaded else (
        f"Process started from a file with the hash of {shown}", "process_creation")  # fmt: skip
    return RuleSpec("hash", title, category, {"selection": {"Hashes|contains": values}, "condition": "selection"},
                    "high", own, described(values, "file hash", "file hashes"))  # fmt: skip


def files_by_source(found: list[Indicator]) -> dict[str, list[Indicator]]:
    groups: dict[str, list[Indicator]] = {}
    for indicator in found:
        ending = suffix(indicator.value)
        kind = ("library" if ending in LIBRARY_SUFFIXES else "script" if ending in SCRIPT_SUFFIXES
                else "image" if ending in {"exe", "scr"} else "written")  # fmt: skip
        groups.setdefault(kind, []).append(indicator)
    return groups


def files(kind: str, found: list[Indicator], own: tuple[Technique, ...]) -> RuleSpec:
    names = [i.value for i in found]
    title, category, field, values = {
        "image": (f"Process image {some(names, 'reported programs')}", "process_creation", "Image|endswith",
                  [f"\\{n}" for n in names]),
        "library": (f"Library {some(names, 'reported DLLs')} loaded", "image_load", "ImageLoaded|endswith",
                    [f"\\{n}" for n in names]),
        "script": (f"Script {some(names, 'reported scripts')} on a command line", "process_creation",
                   "CommandLine|contains", names),
        "written": (f"File {some(names, 'reported files')} written", "file_event", "TargetFilename|endswith",
                    [f"\\{n}" for n in names]),
    }[kind]  # fmt: skip
    detection = {"selection": {field: values}, "condition": "selection"}
    return RuleSpec("file", title, category, detection, "medium", own, described(names, "file name", "file names"),
                    ("Legitimate files that share the name",))  # fmt: skip


def suffix(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower()
