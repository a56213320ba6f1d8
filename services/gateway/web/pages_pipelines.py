"""The pipelines a tenant can run, and the trigger form of each (files uploaded through POST /files)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from contracts.api import TriggerRequest
from contracts.events import ExecutionInput
from contracts.pipelines import Pipeline
from services.gateway.creation import create_execution
from services.gateway.errors import ApiError
from services.gateway.file_refs import with_resolved_files
from services.gateway.routes_pipelines import visible_pipeline, visible_pipelines
from services.gateway.web.form_body import read_form
from services.gateway.web.forms import errors_by_field, read_inputs, render_fields
from services.gateway.web.layout import csrf_input, esc, html_errors, page

MAX_FILES = 20


async def home(request: web.Request) -> web.Response:
    rows = "".join(_row(p) for p in visible_pipelines(request))
    body = f"""<div class="table-wrap"><table><caption>Pipelines you can run</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Handler</th><th scope="col">Description</th>
<th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead><tbody>{rows}</tbody></table></div>"""
    return page(request, "Pipelines", body)


def _row(p: Pipeline) -> str:
    pid = esc(p.pipeline_id)
    return (
        f"<tr><td><strong>{esc(p.name)}</strong><br><code>{pid}</code></td><td>{esc(p.handler_type)}</td>"
        f'<td>{esc(p.description or "")}</td><td class="actions"><a class="button" href="/run/{pid}">Run</a> '
        f'<a href="/history?pipelineId={pid}">History</a></td></tr>'
    )


def _form(request: web.Request, pipeline: Pipeline, values: dict[str, str], errors: dict[str, str],
          other: list[str], files: str = "") -> str:  # fmt: skip
    alerts = "".join(f"<li>{esc(item)}</li>" for item in other)
    summary = (
        f'<div role="alert" class="error" id="form-errors"><p>The API refused this input:</p><ul>{alerts}</ul></div>'
        if errors or other
        else ""
    )
    pid = esc(pipeline.pipeline_id)
    return f"""{summary}<p>{esc(pipeline.description or "")} <code>{pid}</code> ·
<code>{esc(pipeline.handler_type)}</code></p>
<form method="post" action="/run/{pid}" class="card" id="trigger-form">{csrf_input(request)}
{render_fields(pipeline.inputs_schema, values, errors)}
<fieldset class="field"><legend>Files (optional)</legend>
<label for="upload">Upload a PDF or text file</label>
<input type="file" id="upload" accept="application/pdf,text/plain,.pdf,.txt" aria-describedby="upload-status">
<p id="upload-status" class="help" aria-live="polite"></p>
<label for="files">File ids, one per line</label>
<textarea id="files" name="files" rows="2">{esc(files)}</textarea></fieldset>
<button type="submit">Trigger</button></form>"""


async def trigger_form(request: web.Request) -> web.Response:
    pipeline = visible_pipeline(request)
    return page(request, f"Run {pipeline.name}", _form(request, pipeline, {}, {}, []), scripts=("trigger.js",))


async def trigger(request: web.Request) -> web.Response:
    pipeline = visible_pipeline(request)
    form = await read_form(request)
    values, type_errors = read_inputs(pipeline.inputs_schema, form)
    files_text = str(form.get("files", ""))
    raw = {key[len("input.") :]: str(v) for key, v in form.items() if key.startswith("input.")}
    if type_errors:
        return _refused(request, pipeline, raw, type_errors, [], files_text)
    files: list[Any] = files_text.split()[:MAX_FILES]
    try:
        body = await with_resolved_files(request, TriggerRequest(input=ExecutionInput(data_inputs=values, files=files)))
        creation = await create_execution(request, pipeline, body)
    except ApiError as error:
        if error.status not in (404, 422):
            raise
        by_field, other = errors_by_field(error.details)
        return _refused(request, pipeline, raw, by_field, other or [error.message], files_text)
    raise web.HTTPSeeOther(f"/executions/{creation.state.execution_id}")


def _refused(request: web.Request, pipeline: Pipeline, raw: dict[str, str], errors: dict[str, str],
             other: list[str], files: str) -> web.Response:  # fmt: skip
    body = _form(request, pipeline, raw, errors, [*(f"{k}: {v}" for k, v in errors.items()), *other], files)
    return page(request, f"Run {pipeline.name}", body, status=422, scripts=("trigger.js",))


def setup(app: web.Application) -> None:
    app.router.add_get("/", html_errors(home), name="page:home")
    app.router.add_get("/run/{pipeline_id}", html_errors(trigger_form), name="page:run")
    app.router.add_post("/run/{pipeline_id}", html_errors(trigger), name="page:run_submit")
