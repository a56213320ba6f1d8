"""Citations beside an output: input ranges are cut from the input here; file ranges are left for
the page to resolve through POST /citations/resolve, the API any client would use."""

from __future__ import annotations

import json
from typing import Any

from services.gateway.web.layout import esc

INPUT_RANGE = "input_character_range"
PDF_RANGE = "pdf_character_range"


def pointer_value(document: Any, pointer: str) -> Any:
    """RFC 6901: the value at `pointer`, or None when it names nothing."""
    if pointer == "":
        return document
    for raw in pointer.lstrip("/").split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(document, dict) and part in document:
            document = document[part]
        elif isinstance(document, list) and part.isdigit() and int(part) < len(document):
            document = document[int(part)]
        else:
            return None
    return document


def render(output_citations: list[dict[str, Any]], execution_input: dict[str, Any]) -> str:
    groups = "".join(_group(number, group, execution_input) for number, group in enumerate(output_citations, 1))
    if not groups:
        return '<p class="help">No citations.</p>'
    return f'<div id="citations">{groups}</div>'


def _group(number: int, group: dict[str, Any], execution_input: dict[str, Any]) -> str:
    pointer = str(group.get("outputPointer", ""))
    items = "".join(_citation(c, execution_input) for c in group.get("citations", []) if isinstance(c, dict))
    return (
        f'<details class="citation-group"><summary>Citation {number}: output <code>{esc(pointer or "/")}</code>'
        f"</summary><ul>{items}</ul></details>"
    )


def _citation(citation: dict[str, Any], execution_input: dict[str, Any]) -> str:
    start, end = citation.get("charStart"), citation.get("charEnd")
    if citation.get("type") == INPUT_RANGE:
        source = pointer_value(execution_input, str(citation.get("inputPointer", "")))
        cited = source[start:end] if isinstance(source, str) and isinstance(start, int) else ""
        where = f"input <code>{esc(citation.get('inputPointer', ''))}</code>, characters {esc(start)}–{esc(end)}"
        return f'<li class="citation resolved"><p>{where}</p><blockquote>{esc(cited)}</blockquote></li>'
    if citation.get("type") == PDF_RANGE:
        return (
            f"<li class=\"citation pending-file\" data-citation='{esc(json.dumps(citation))}'>"
            f"<p>File extraction <code>{esc(citation.get('pdfFileExtractionId'))}</code>, characters "
            f'{esc(start)}–{esc(end)}</p><blockquote aria-live="polite">Resolving…</blockquote></li>'
        )
    return f'<li class="citation"><pre>{esc(json.dumps(citation))}</pre></li>'
