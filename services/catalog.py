"""The shared catalog of pipelines every tenant can trigger, one per handler type: the gateway offers
them, and the handler knows their code steps for the operator's own (not a tenant's)."""

from __future__ import annotations

from importlib.metadata import entry_points

from contracts.events import JsonObject
from contracts.pipelines import Pipeline
from services.handler.plugins.registry import ENTRY_POINT_GROUP

THREAT_INTEL_PIPELINE_ID = "pl_threat_intel_sigma"
MAX_THREAT_INTEL_CHARS = 200_000


class Catalog:
    def __init__(self, pipelines: list[Pipeline]) -> None:
        self._by_id = {pipeline.pipeline_id: pipeline for pipeline in pipelines}

    def get(self, pipeline_id: str) -> Pipeline | None:
        return self._by_id.get(pipeline_id)

    def all(self) -> list[Pipeline]:
        return list(self._by_id.values())


def installed_handler_types() -> frozenset[str]:
    """The handler types the handler can run: the names of the installed entry points (not loaded)."""
    return frozenset(entry_point.name for entry_point in entry_points(group=ENTRY_POINT_GROUP))


def _schema(*fields: tuple[str, str, bool]) -> JsonObject:
    return {
        "files": [],
        "datasets": [],
        "dataInputs": [
            # A required text that is blank has nothing to work on: refused at trigger, not mid-run.
            {
                "id": fid,
                "label": label,
                "schema": {"type": "string", "minLength": 1, "pattern": r"\S"},
                "required": required,
            }
            for fid, label, required in fields
        ],
    }


def demo_catalog() -> Catalog:
    query = _schema(("query", "Query", True))
    summary = _schema(("summary", "Summary", True))
    return Catalog(
        [
            Pipeline(
                pipeline_id="pl_no_op",
                name="No-op",
                description="Completes at once; for wiring checks and benchmarks.",
                handler_type="no_op",
                inputs_schema=_schema(),
                outputs_schema=_schema(),
            ),
            Pipeline(
                pipeline_id="pl_document_summarizer",
                name="Document Summarizer",
                handler_type="language_model",
                inputs_schema=query,
                outputs_schema=summary,
            ),
            Pipeline(
                pipeline_id="pl_streaming_summarizer",
                name="Streaming Summarizer",
                handler_type="streaming_language_model",
                inputs_schema=query,
                outputs_schema=summary,
            ),
            Pipeline(
                pipeline_id=THREAT_INTEL_PIPELINE_ID,
                name="Threat intel to Sigma rules",
                description="Detection rules and ATT&CK techniques from threat-intelligence text (the /v1 API).",
                handler_type="threat_intel_sigma",
                inputs_schema={
                    "files": [],
                    "datasets": [],
                    "dataInputs": [
                        {
                            "id": "text",
                            "label": "Text",
                            "required": True,
                            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_THREAT_INTEL_CHARS},
                        },
                        {
                            "id": "inputType",
                            "label": "Input type",
                            "required": False,
                            "schema": {"type": "string", "enum": ["text"]},
                        },
                    ],
                },
                outputs_schema=_schema(("rules", "Sigma rules", True), ("ttps", "ATT&CK techniques", True)),
            ),
            Pipeline(
                pipeline_id="pl_code_agent",
                name="Code Agent",
                description="Runs its configured Python steps in a sandbox, one progress step each.",
                handler_type="code_agent_language_model",
                inputs_schema=query,
                outputs_schema=_schema(("result", "Result", True)),
                configuration={
                    "steps": [
                        {"name": "tokenize", "code": "result = inputs['query'].split()"},
                        {
                            "name": "count",
                            "code": "words = results[-1]\n"
                            "result = {'words': len(words), 'characters': len(inputs['query']),"
                            " 'longest': max(words, key=len) if words else None}",
                        },
                    ]
                },
            ),
        ]
    )
