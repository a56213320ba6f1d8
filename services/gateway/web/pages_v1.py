"""The /v1 screens: submit threat-intel text, watch its status turn SUCCEEDED, see its rules and
TTPs, and the dashboard of the last 50 executions."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from contracts.api import TriggerRequest
from contracts.events import ExecutionInput
from projections.state import ExecutionState
from services.catalog import THREAT_INTEL_PIPELINE_ID
from services.gateway import keys
from services.gateway.auth import principal_of
from services.gateway.creation import create_execution
from services.gateway.errors import ApiError
from services.gateway.execution_lookup import require_execution
from services.gateway.routes_v1 import ARN_PREFIX, MAX_HISTORY, execution_arn, status_body, summary
from services.gateway.web.form_body import read_form
from services.gateway.web.forms import errors_by_field
from services.gateway.web.layout import csrf_input, esc, html_errors, page, status_badge

TERMINAL = ("SUCCEEDED", "FAILED")


def _form(request: web.Request, text: str = "", error: str = "") -> str:
    alert = f'<p role="alert" class="error" id="submit-error">{esc(error)}</p>' if error else ""
    invalid = ' aria-invalid="true" aria-describedby="submit-error"' if error else ""
    return f"""{alert}<form method="post" action="/submit" class="card">{csrf_input(request)}
<label for="intel">Threat-intelligence text</label>
<textarea id="intel" name="input" rows="10" required{invalid}>{esc(text)}</textarea>
<p class="help">IP addresses, domains, hashes and file names become Sigma rules;
ATT&amp;CK techniques are extracted.</p>
<button type="submit">Generate rules</button></form>"""


async def submit_form(request: web.Request) -> web.Response:
    return page(request, "Submit threat intel", _form(request))


async def submit(request: web.Request) -> web.Response:
    text = str((await read_form(request)).get("input", ""))
    pipeline = request.app[keys.CATALOG].get(THREAT_INTEL_PIPELINE_ID)
    assert pipeline is not None, "the /v1 pipeline is part of every catalog"
    trigger = TriggerRequest(input=ExecutionInput(data_inputs={"text": text, "inputType": "text"}))
    try:
        creation = await create_execution(request, pipeline, trigger)
    except ApiError as error:
        if error.status != 422:
            raise
        by_field, other = errors_by_field(error.details)
        problems = "; ".join([*(f"{k}: {v}" for k, v in by_field.items()), *other]) or error.message
        return page(request, "Submit threat intel", _form(request, text, problems), status=422)
    raise web.HTTPSeeOther(f"/status/{execution_arn(creation.state.execution_id)}")


async def status(request: web.Request) -> web.Response:
    arn = request.match_info["arn"]
    if not arn.startswith(ARN_PREFIX):
        raise ApiError(404, "NotFound", "No execution with this executionArn.")
    state = await require_execution(request.app, principal_of(request).tenant_id, arn[len(ARN_PREFIX) :], "execution")
    shown = status_body(state)
    body = f"""<div class="v1-status" data-arn="{esc(arn)}" data-status="{esc(shown["status"])}">
<p><code class="wrap">{esc(arn)}</code></p><section class="card"><h2>Status</h2>
<p id="status" aria-live="polite">{status_badge(shown["status"])}</p>
<p><a href="/executions/{esc(state.execution_id)}">Execution details</a></p></section>
{_error(shown["errorMessage"])}{_results(state)}</div>"""
    return page(request, "Execution status", body, scripts=("status.js",))


def _error(message: str | None) -> str:
    return f'<p role="alert" class="error" id="error-message">{esc(message)}</p>' if message else ""


def _results(state: ExecutionState) -> str:
    output: dict[str, Any] = state.output or {}
    if not output:
        return ""
    rules = "".join(
        f'<article class="rule"><h3>{esc(rule.get("title", "Rule"))}</h3>'
        f'<pre class="yaml">{esc(rule.get("yaml", ""))}</pre></article>'
        for rule in output.get("rules", [])
        if isinstance(rule, dict)
    )
    ttps = "".join(f"<li>{_ttp(t)}</li>" for t in output.get("ttps", []))
    count = len(output.get("rules", []))
    return f"""<div class="columns"><section class="card" id="rules"><h2>Sigma rules ({count})</h2>
{rules or "<p>None.</p>"}</section><section class="card"><h2>ATT&amp;CK techniques</h2>
<ul id="ttps">{ttps or "<li>None.</li>"}</ul></section></div>"""


def _ttp(ttp: Any) -> str:
    if isinstance(ttp, dict):
        ident = ttp.get("id") or ttp.get("techniqueId") or ""
        return f"<code>{esc(ident)}</code> {esc(ttp.get('name', ''))}"
    return f"<code>{esc(ttp)}</code>"


async def dashboard(request: web.Request) -> web.Response:
    recent = await request.app[keys.READ_MODEL].search(
        principal_of(request).tenant_id,
        pipeline_id=THREAT_INTEL_PIPELINE_ID,
        status=None,
        page=1,
        page_size=MAX_HISTORY,
    )
    rows = (
        "".join(_dashboard_row(summary(state)) for state in recent.items) or '<tr><td colspan="5">None yet.</td></tr>'
    )
    body = f"""<p><a class="button" href="/submit">Submit threat intel</a></p>
<div class="table-wrap"><table id="dashboard">
<caption>Your {MAX_HISTORY} most recent /v1 executions, newest first</caption><thead><tr><th scope="col">Created</th>
<th scope="col">Status</th><th scope="col">Input type</th><th scope="col">Rules generated</th>
<th scope="col">TTPs extracted</th></tr></thead><tbody>{rows}</tbody></table></div>"""
    return page(request, "Dashboard", body)


def _dashboard_row(item: dict[str, Any]) -> str:
    return (
        f'<tr><td><a href="/status/{esc(item["executionArn"])}"><time>{esc(item["createdAt"])}</time></a></td>'
        f"<td>{status_badge(item['status'])}</td><td>{esc(item['inputType'])}</td>"
        f"<td>{esc(item['rulesGenerated'])}</td><td>{esc(item['ttpsExtracted'])}</td></tr>"
    )


async def status_index(request: web.Request) -> web.Response:
    raise web.HTTPSeeOther("/dashboard")  # each status page is an execution's; the dashboard lists them


def setup(app: web.Application) -> None:
    app.router.add_get("/status", status_index, name="page:status_index")
    app.router.add_get("/submit", html_errors(submit_form), name="page:submit")
    app.router.add_post("/submit", html_errors(submit), name="page:submit_post")
    app.router.add_get("/status/{arn}", html_errors(status), name="page:status")
    app.router.add_get("/dashboard", html_errors(dashboard), name="page:dashboard")
