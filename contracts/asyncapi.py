"""The AsyncAPI 3.0 document of the topics other services may subscribe to, built from the models.

Checked in as `contracts/schemas/asyncapi.json` (`make schemas`). The tenancy topic is
left out on purpose: it is the services' own directory of tenants and key hashes.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from contracts.codec import CONTENT_TYPE
from contracts.envelope import Envelope
from contracts.events import WIRE_TYPES
from contracts.files import FileExtracted
from contracts.tokens import StreamedToken
from contracts.topics import DEFAULT_EVENTS_TOPIC

REF = "#/components/schemas/{model}"

CE_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "CloudEvents attributes repeated as headers, for routing without parsing the value.",
    "properties": {
        name: {"type": "string"}
        for name in ("content-type", "ce_specversion", "ce_id", "ce_type", "ce_source", "ce_subject", "ce_tenantid")
    }
    | {"ce_sequence": {"type": "string", "description": "Decimal; absent on unnumbered requests."}},
}


def _message(name: str, model: type[BaseModel], key: str, summary: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "name": name,
        "title": model.__name__,
        "summary": summary,
        "payload": {"$ref": REF.format(model=model.__name__)},
        "bindings": {"kafka": {"key": {"type": "string", "description": key}}},
    }
    if issubclass(model, Envelope):
        message |= {"contentType": CONTENT_TYPE.decode(), "headers": CE_HEADERS}
    else:
        message["contentType"] = "application/json"
    return message


def _summary(model: type[BaseModel]) -> str:
    return (model.__doc__ or model.__name__).strip().splitlines()[0]


def asyncapi_document() -> dict[str, Any]:
    executions = {wire: _message(wire, cls, "The execution id.", _summary(cls)) for wire, cls in WIRE_TYPES.items()}
    file_wire = FileExtracted.model_fields["type"].default
    files = {file_wire: _message(file_wire, FileExtracted, "The file id.", _summary(FileExtracted))}
    tokens = {"streamed_token": _message("streamed_token", StreamedToken, "The channel id.", _summary(StreamedToken))}
    models: list[type[BaseModel]] = [*WIRE_TYPES.values(), FileExtracted, StreamedToken]
    _, defs = models_json_schema([(m, "serialization") for m in models], by_alias=True, ref_template=REF)
    channels = {
        "executionEvents": _channel(DEFAULT_EVENTS_TOPIC, "Every execution's lifecycle, kept forever.", executions),
        "files": _channel(f"{DEFAULT_EVENTS_TOPIC}.files", "Uploaded files' extracted text, kept forever.", files),
        "tokens": _channel(f"{DEFAULT_EVENTS_TOPIC}.tokens", "Streamed tokens, kept a day.", tokens),
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Execution tracking events",
            "version": "1.0.0",
            "description": "Topic names assume the default EVENTS_TOPIC. Event types are versioned "
            "(`execution.created.v1`); a change to one is a new type, never an edit.",
        },
        "channels": channels,
        "operations": {
            f"receive_{name}": {"action": "receive", "channel": {"$ref": f"#/channels/{name}"}} for name in channels
        },
        "components": {"schemas": _asyncapi_schema(defs["$defs"]), "messages": executions | files | tokens},
    }


def _channel(address: str, description: str, messages: dict[str, Any]) -> dict[str, Any]:
    return {
        "address": address,
        "description": description,
        "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in messages},
    }


def _asyncapi_schema(node: Any) -> Any:
    """pydantic writes OpenAPI's `discriminator` object; AsyncAPI's schema wants the property name."""
    if isinstance(node, dict):
        return {
            key: value["propertyName"]
            if key == "discriminator" and isinstance(value, dict)
            else _asyncapi_schema(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_asyncapi_schema(item) for item in node]
    return node
