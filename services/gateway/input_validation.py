"""Checking a trigger's input against the pipeline's inputs schema, field by field."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

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
