"""The shipped ATT&CK Enterprise catalogue: technique ids to names and tactics."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CATALOGUE_PATH = Path(__file__).parent / "data" / "attack-enterprise.json"


@dataclass(frozen=True)
class Technique:
    id: str
    name: str
    tactics: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "tactics": list(self.tactics)}


@dataclass(frozen=True)
class Unrecognised:
    id: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "reason": self.reason}


@functools.cache
def _catalogue() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))
    return loaded


def source() -> str:
    return str(_catalogue()["source"])


def lookup(technique_id: str) -> Technique | Unrecognised:
    """The current technique with this id, or why it is not one (never a guess)."""
    catalogue = _catalogue()
    entry = catalogue["techniques"].get(technique_id)
    if entry is not None:
        return Technique(technique_id, entry["name"], tuple(entry["tactics"]))
    retired = catalogue["retired"].get(technique_id)
    if retired is None:
        return Unrecognised(technique_id, f"not a technique in the shipped catalogue ({source()})")
    successor = f"; its successor is {retired['replacedBy']}" if retired["replacedBy"] else ""
    return Unrecognised(technique_id, f"retired ATT&CK technique ({retired['name']}){successor}")
