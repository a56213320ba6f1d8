"""Checking a trigger's input against the pipeline's inputs schema, field by field."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from contracts.events import ExecutionInput, JsonObject

Problem = dict[str, str]


def input_problems(inputs_schema: JsonObject, given: ExecutionInput) -> list[Problem]:
    """Every way `given` breaks `inputs_schema`; empty when it fits."""
    specs: dict[str, dict[str, Any]] = {spec["id"]: spec for spec in inputs_schema.get("dataInputs", [])}
    problems = [_problem(name, "not an input of this pipeline") for name in given.data_inputs if name not in specs]
    for name, spec in specs.items():
        if name not in given.data_inputs:
            if spec.get("required"):
                problems.append(_problem(name, "required"))
            continue
        validator = Draft202012Validator(spec.get("schema", {}))
        problems += [_problem(name, error.message) for error in validator.iter_errors(given.data_inputs[name])]
    return problems


def _problem(name: str, problem: str) -> Problem:
    return {"field": f"input.dataInputs.{name}", "problem": problem}


def schema_problems(inputs_schema: JsonObject) -> list[Problem]:
    """What is wrong with a pipeline's inputs schema itself."""
    entries = inputs_schema.get("dataInputs", [])
    if not isinstance(entries, list):
        return [{"field": "inputsSchema.dataInputs", "problem": "must be a list"}]
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"inputsSchema.dataInputs.{index}"
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not entry["id"]:
            problems.append({"field": where, "problem": "needs a non-empty string id"})
            continue
        if entry["id"] in seen:
            problems.append({"field": where, "problem": f"duplicate id {entry['id']!r}"})
        seen.add(entry["id"])
        try:
            Draft202012Validator.check_schema(entry.get("schema", {}))
        except SchemaError as error:
            problems.append({"field": f"{where}.schema", "problem": error.message})
    return problems
