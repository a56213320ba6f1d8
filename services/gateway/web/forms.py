"""A trigger form built from a pipeline's inputs schema, and the typed input read back from it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from contracts.events import JsonObject
from services.gateway.web.layout import esc

PREFIX = "input."
"""Form field names carry this prefix, so an input called `csrf_token` cannot clash with ours."""
FIELD_POINTER = "input.dataInputs."
"""How the API's 422 details name a data input (`input.dataInputs.<id>`)."""


def entries(inputs_schema: JsonObject) -> list[dict[str, Any]]:
    raw = inputs_schema.get("dataInputs", [])
    return [entry for entry in raw if isinstance(entry, dict) and isinstance(entry.get("id"), str)]


def render_fields(inputs_schema: JsonObject, values: Mapping[str, str], errors: Mapping[str, str]) -> str:
    return "".join(
        _field(entry, values.get(entry["id"], ""), errors.get(entry["id"])) for entry in entries(inputs_schema)
    )


def _field(entry: dict[str, Any], value: str, error: str | None) -> str:
    fid, schema = entry["id"], entry.get("schema") or {}
    dom_id, required = f"field-{fid}", bool(entry.get("required"))
    label = esc(entry.get("label") or fid) + (' <span aria-hidden="true">*</span>' if required else "")
    described = f' aria-describedby="{dom_id}-error" aria-invalid="true"' if error else ""
    attrs = f'id="{dom_id}" name="{esc(PREFIX + fid)}"{" required" if required else ""}{described}'
    message = f'<p class="field-error" id="{dom_id}-error">{esc(error)}</p>' if error else ""
    return f'<div class="field"><label for="{dom_id}">{label}</label>{_control(schema, attrs, value)}{message}</div>'


def _control(schema: dict[str, Any], attrs: str, value: str) -> str:
    kind = schema.get("type")
    if isinstance(schema.get("enum"), list):
        options = "".join(
            f'<option value="{esc(v)}"{" selected" if str(v) == value else ""}>{esc(v)}</option>'
            for v in schema["enum"]
        )
        return f'<select {attrs}><option value="">(none)</option>{options}</select>'
    if kind in ("integer", "number"):
        step = "1" if kind == "integer" else "any"
        return f'<input type="number" step="{step}" {attrs} value="{esc(value)}">'
    if kind == "boolean":
        return f'<select {attrs}><option value="">(none)</option><option>true</option><option>false</option></select>'
    return f'<textarea {attrs} rows="4">{esc(value)}</textarea>'


def read_inputs(inputs_schema: JsonObject, form: Mapping[str, Any]) -> tuple[JsonObject, dict[str, str]]:
    """The data inputs as typed values, plus the fields that are not even of their type. Empty
    fields are left out, so the API's own check reports a missing required input by name."""
    values: JsonObject = {}
    errors: dict[str, str] = {}
    for entry in entries(inputs_schema):
        raw = form.get(PREFIX + entry["id"])
        if not isinstance(raw, str) or raw == "":
            continue
        try:
            values[entry["id"]] = _typed((entry.get("schema") or {}).get("type"), raw)
        except ValueError as error:
            errors[entry["id"]] = str(error)
    return values, errors


def _typed(kind: object, raw: str) -> Any:
    if kind == "integer":
        return _parse(int, raw, "a whole number")
    if kind == "number":
        return _parse(float, raw, "a number")
    if kind == "boolean":
        if raw not in ("true", "false"):
            raise ValueError("must be true or false")
        return raw == "true"
    if kind in ("object", "array"):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            raise ValueError(f"must be JSON ({kind})") from None
    return raw


def _parse(kind: type[int] | type[float], raw: str, what: str) -> int | float:
    try:
        return kind(raw)
    except ValueError:
        raise ValueError(f"must be {what}") from None


def errors_by_field(details: list[dict[str, str]] | None) -> tuple[dict[str, str], list[str]]:
    """The API's 422 details split into those of one data input and the rest."""
    by_field: dict[str, str] = {}
    other: list[str] = []
    for item in details or []:
        field, problem = item.get("field", ""), item.get("problem", "")
        if field.startswith(FIELD_POINTER):
            name = field[len(FIELD_POINTER) :]
            by_field[name] = f"{by_field[name]}; {problem}" if name in by_field else problem
        else:
            other.append(f"{field}: {problem}")
    return by_field, other
