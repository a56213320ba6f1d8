"""The OpenAPI document as one HTML page: every operation's parameters, request body and
responses, and the schemas they name, linked. Rendered here, so no viewer comes from a CDN."""

from __future__ import annotations

import json
import re
from typing import Any

from services.gateway.web.layout import esc

REF = re.compile(r"&quot;#/components/schemas/([A-Za-z0-9_.-]+)&quot;")
METHODS = ("get", "post", "put", "patch", "delete")


def _schema(schema: Any) -> str:
    """Compact JSON with each `$ref` a link to the schema it names."""
    text = esc(json.dumps(schema, indent=1, ensure_ascii=False))
    linked = REF.sub(lambda m: f'&quot;<a href="#schema-{m[1]}">{m[1]}</a>&quot;', text)
    return f'<pre class="schema">{linked}</pre>'


def _parameters(parameters: list[dict[str, Any]]) -> str:
    if not parameters:
        return ""
    rows = "".join(
        f"<tr><td><code>{esc(p['name'])}</code></td><td>{esc(p['in'])}</td>"
        f"<td>{'yes' if p.get('required') else 'no'}</td>"
        f"<td><code>{esc(json.dumps(p.get('schema', {})))}</code></td></tr>"
        for p in parameters
    )
    return (
        '<h4>Parameters</h4><div class="table-wrap"><table><thead><tr><th scope="col">Name</th><th scope="col">In</th>'
        f'<th scope="col">Required</th><th scope="col">Schema</th></tr></thead><tbody>{rows}</tbody></table></div>'
    )


def _shape(schema: dict[str, Any], schemas: dict[str, Any]) -> str:
    """A schema that only names another is shown with that one's shape, one level deep."""
    ref = schema.get("$ref")
    if set(schema) == {"$ref"} and isinstance(ref, str) and (name := ref.rpartition("/")[2]) in schemas:
        return f'<p>Schema <a href="#schema-{esc(name)}">{esc(name)}</a>:</p>{_schema(schemas[name])}'
    return _schema(schema)


def _content(content: dict[str, Any], schemas: dict[str, Any]) -> str:
    return "".join(
        f"<p><code>{esc(media)}</code></p>{_shape(body['schema'], schemas) if 'schema' in body else ''}"
        for media, body in content.items()
    )


def _request_body(body: dict[str, Any] | None, schemas: dict[str, Any]) -> str:
    if not body:
        return ""
    required = " (required)" if body.get("required") else " (optional)"
    return f"<h4>Request body{required}</h4>{_content(body.get('content', {}), schemas)}"


def _responses(responses: dict[str, Any], schemas: dict[str, Any]) -> str:
    items = "".join(
        f"<details><summary><strong>{esc(status)}</strong> {esc(r.get('description', ''))}</summary>"
        f"{_content(r.get('content', {}), schemas)}</details>"
        for status, r in responses.items()
    )
    return f"<h4>Responses</h4>{items}"


def _operation(path: str, method: str, op: dict[str, Any], schemas: dict[str, Any]) -> str:
    anchor = esc(f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""))
    auth = "no key needed" if op.get("security") == [] else "Bearer key (or a signed-in session)"
    return (
        f'<section class="card operation" id="{anchor}"><h3><code>{method.upper()} {esc(path)}</code></h3>'
        f"<p>{esc(op.get('summary', ''))} · <em>{auth}</em></p>"
        f"{_parameters(op.get('parameters', []))}{_request_body(op.get('requestBody'), schemas)}"
        f"{_responses(op.get('responses', {}), schemas)}</section>"
    )


def render_docs(document: dict[str, Any]) -> str:
    operations = [
        (path, method, op) for path, ops in document["paths"].items() for method, op in ops.items() if method in METHODS
    ]
    toc = "".join(
        f'<li><a href="#{esc(f"{m}-{p}".replace("/", "-").replace("{", "").replace("}", ""))}">'
        f"<code>{m.upper()} {esc(p)}</code></a> {esc(op.get('summary', ''))}</li>"
        for p, m, op in operations
    )
    components = document["components"]["schemas"]
    schemas = "".join(
        f'<section class="card" id="schema-{esc(name)}"><h3>{esc(name)}</h3>{_schema(schema)}</section>'
        for name, schema in components.items()
    )
    info = document["info"]
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{esc(info["title"])} API</title>
<link rel="icon" href="data:,"><link rel="stylesheet" href="/static/app.css"></head><body>
<a class="skip" href="#main">Skip to content</a>
<header><nav aria-label="Main"><a href="/" class="brand">Execution tracking</a><a href="/openapi.json">openapi.json</a>
</nav></header><main id="main"><h1>{esc(info["title"])} API {esc(info["version"])}</h1>
<p>{esc(info.get("description", ""))} Send <code>Authorization: Bearer &lt;key&gt;</code>; the machine-readable
document is <a href="/openapi.json">/openapi.json</a>.</p>
<nav aria-label="Operations"><h2>Operations</h2><ul>{toc}</ul></nav><h2>Operations in detail</h2>
{"".join(_operation(p, m, op, components) for p, m, op in operations)}<h2>Schemas</h2>{schemas}</main></body></html>"""
