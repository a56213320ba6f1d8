"""ATT&CK technique ids wherever a report writes them: T1059, t1059.001, attack.t1059.001,
and technique URLs (…/techniques/T1059/001/)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.handler.plugins.threat_intel.catalogue import Technique, Unrecognised, lookup

# Not preceded by a letter or digit, so "AT1059" or "ST1059" stay out; "." and "/" separate
# the sub-technique in prose and in attack.mitre.org URLs alike.
TECHNIQUE_ID = re.compile(r"(?<![A-Za-z0-9])[Tt](\d{4})(?:[./](\d{3}))?(?![0-9])")


@dataclass(frozen=True)
class Mention:
    id: str
    start: int


@dataclass(frozen=True)
class TechniqueFindings:
    known: list[Technique]
    unrecognised: list[Unrecognised]
    mentions: list[Mention]
    """Every place a known technique is named, for telling which indicators it belongs with."""


def mentions(text: str) -> list[Mention]:
    found = []
    for match in TECHNIQUE_ID.finditer(text):
        base, sub = match.groups()
        found.append(Mention(f"T{base}.{sub}" if sub else f"T{base}", match.start()))
    return found


def find_techniques(text: str) -> TechniqueFindings:
    all_mentions = mentions(text)
    known: dict[str, Technique] = {}
    unrecognised: dict[str, Unrecognised] = {}
    for mention in all_mentions:
        entry = lookup(mention.id)
        if isinstance(entry, Technique):
            known.setdefault(entry.id, entry)
        else:
            unrecognised.setdefault(entry.id, entry)
    kept = [mention for mention in all_mentions if mention.id in known]
    return TechniqueFindings(list(known.values()), list(unrecognised.values()), kept)
