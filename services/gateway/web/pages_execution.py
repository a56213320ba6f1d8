"""One execution: live status and progress over its SSE stream, input, output with citations,
timing, handler output and error; cancel while it runs, promote to an example once it succeeded."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from services.gateway import keys
from services.gateway.auth import principal_of
from services.gateway.errors import ApiError
from services.gateway.routes_executions import cancel_execution, load_execution
from services.gateway.web import citations
from services.gateway.web.layout import csrf_input, esc, html_errors, page, pretty, status_badge

STREAMING = "streaming_language_model"


async def execution(request: web.Request) -> web.Response:
    state = await load_execution(request)  # another tenant's id is a 404, exactly as over the API
    api = state.to_api()
    channel = (api["handlerOutput"] or {}).get("streamingChannelId") or ""
    body = f"""<div class="execution" data-execution-id="{esc(state.execution_id)}" data-status="{esc(api["status"])}"
 data-channel="{esc(channel)}"><p><a href="/history?pipelineId={esc(api["pipelineId"])}">{esc(api["pipelineName"])}</a>
 · <code>{esc(state.execution_id)}</code></p>{_status(request, api)}{_error(api)}{_tokens(api)}
<div class="columns">{_section("output", "Output", f'<pre id="output">{pretty(api["output"])}</pre>')}
{_section("citations", "Citations", citations.render(api["outputCitations"] or [], api["input"]))}</div>
{_section("input", "Input", f'<pre id="input">{pretty(api["input"])}</pre>')}
{_section("handler", "Handler output", f'<pre id="handler-output">{pretty(api["handlerOutput"])}</pre>')}
{await _promote(request, api["status"])}</div>"""
    return page(request, "Execution", body, scripts=("execution.js",))


def _section(name: str, title: str, content: str) -> str:
    heading = f'<h2 id="{name}-heading">{title}</h2>'
    return f'<section class="card" aria-labelledby="{name}-heading">{heading}{content}</section>'


def _status(request: web.Request, api: dict[str, Any]) -> str:
    pct = esc(api["progressPct"] or 0)
    content = f"""<p class="status-line"><span id="status" aria-live="polite">{status_badge(api["status"])}</span>
<span id="live" class="help" aria-live="polite"></span></p><label for="progress">Progress</label>
<progress id="progress" max="100" value="{pct}">{pct} %</progress><p><span id="progress-pct">{pct}</span> % ·
<span id="progress-message" aria-live="polite">{esc(api["progressMessage"] or "")}</span></p>
{_cancel(request, api["executionId"], api["status"])}{_timing(api)}"""
    return _section("status", "Status", content)


def _cancel(request: web.Request, execution_id: str, status: str) -> str:
    if status not in ("pending", "running"):
        return ""
    return (
        f'<form method="post" action="/executions/{esc(execution_id)}/cancel" id="cancel-form">'
        f'{csrf_input(request)}<button type="submit" class="danger">Cancel execution</button></form>'
    )


def _timing(api: dict[str, Any]) -> str:
    rows = "".join(
        f'<dt>{label}</dt><dd><time id="{key}">{esc(api[key] or "—")}</time></dd>'
        for key, label in (("createdAt", "Created"), ("startedAt", "Started"), ("completedAt", "Completed"))
    )
    return f'<dl class="timing">{rows}<dt>Created by</dt><dd>{esc(api["createdBy"])}</dd></dl>'


def _error(api: dict[str, Any]) -> str:
    if not api["errorMessage"]:
        return ""
    return f'<p role="alert" class="error" id="error-message">{esc(api["errorMessage"])}</p>'


def _tokens(api: dict[str, Any]) -> str:
    if api["pipelineHandlerType"] != STREAMING:
        return ""
    return _section("tokens", "Tokens as they arrive", '<p id="tokens" class="tokens" aria-live="off"></p>')


async def _promote(request: web.Request, status: str) -> str:
    if status != "succeeded":
        return ""
    sets = await request.app[keys.READ_MODEL].example_sets(principal_of(request).tenant_id)
    options = "".join(f'<option value="{esc(s["exampleSetId"])}">{esc(s["name"])}</option>' for s in sets)
    return f"""<section class="card" aria-labelledby="promote-heading"><h2 id="promote-heading">Promote to example</h2>
<form id="promote-form"><div class="field"><label for="example-set">Example set</label>
<select id="example-set" name="existingExampleSetId"><option value="">A new set…</option>{options}</select></div>
<div class="field"><label for="new-set-name">New set's name</label><input id="new-set-name" name="newSetName"></div>
<div class="field"><label for="new-set-description">New set's description</label>
<input id="new-set-description" name="newSetDescription"></div>
<div class="field"><label for="example-name">Example name</label>
<input id="example-name" name="exampleName" required maxlength="200"></div>
<div class="field"><label for="rationale">Rationale</label>
<textarea id="rationale" name="rationale" rows="2" maxlength="2000"></textarea></div>
<button type="submit">Promote</button><p id="promote-result" aria-live="polite"></p></form></section>"""


async def cancel(request: web.Request) -> web.Response:
    try:
        await cancel_execution(request)  # the API's own command: waits briefly for the handler's answer
    except ApiError as error:
        if error.status != 409:
            raise  # 409: it finished meanwhile, and the page shows how
    raise web.HTTPSeeOther(f"/executions/{request.match_info['execution_id']}")


def setup(app: web.Application) -> None:
    app.router.add_get("/executions/{execution_id}", html_errors(execution), name="page:execution")
    app.router.add_post("/executions/{execution_id}/cancel", html_errors(cancel), name="page:cancel")
