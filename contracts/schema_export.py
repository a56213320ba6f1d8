"""Writes the JSON Schema of every published event into contracts/schemas/.

`python -m contracts.schema_export` regenerates them; a test fails when the
checked-in files drift from the models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contracts.asyncapi import asyncapi_document
from contracts.envelope import Envelope
from contracts.events import EVENT_ADAPTER, WIRE_TYPES
from contracts.files import FileExtracted

SCHEMA_DIR = Path(__file__).parent / "schemas"


def rendered_schemas() -> dict[str, str]:
    """File name -> file text, for every event type and for the union of the execution events."""
    published: dict[str, type[Envelope]] = {**WIRE_TYPES, FileExtracted.model_fields["type"].default: FileExtracted}
    files = {f"{wire}.json": _render(cls.model_json_schema(by_alias=True)) for wire, cls in published.items()}
    files["execution-event.json"] = _render(EVENT_ADAPTER.json_schema(by_alias=True))
    files["asyncapi.json"] = _render(asyncapi_document())
    return files


def _render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main() -> None:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for name, text in rendered_schemas().items():
        (SCHEMA_DIR / name).write_text(text)
        print(f"wrote {SCHEMA_DIR / name}")


if __name__ == "__main__":
    main()
