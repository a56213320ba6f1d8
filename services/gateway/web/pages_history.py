"""A pipeline's executions, newest first: one page of the read model's `search` at a time."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from projections.state import ExecutionState, Status
from services.gateway import keys
from services.gateway.auth import principal_of
from services.gateway.requests import int_query
from services.gateway.routes_executions import status_filter
from services.gateway.routes_pipelines import visible_pipelines
from services.gateway.web.layout import esc, html_errors, page, status_badge

PAGE_SIZE = 20


async def history(request: web.Request) -> web.Response:
    pipeline_id = request.query.get("pipelineId") or None
    status = status_filter(request.query.get("status"))
    number = int_query(request, "page", 1, 1, 1_000_000)
    result = await request.app[keys.READ_MODEL].search(
        principal_of(request).tenant_id, pipeline_id=pipeline_id, status=status, page=number, page_size=PAGE_SIZE
    )
    rows = "".join(execution_row(state) for state in result.items) or '<tr><td colspan="5">No executions.</td></tr>'
    body = f"""{_filters(request, pipeline_id, status)}<div class="table-wrap"><table id="history">
<caption>{result.total} execution{"" if result.total == 1 else "s"}, newest first</caption>
<thead><tr><th scope="col">Execution</th><th scope="col">Pipeline</th><th scope="col">Status</th>
<th scope="col">Progress</th><th scope="col">Created</th></tr></thead><tbody>{rows}</tbody></table></div>
{_pager(pipeline_id, status, number, result.total)}"""
    return page(request, "History", body)


def execution_row(state: ExecutionState) -> str:
    api = state.to_api()
    return (
        f'<tr><td><a href="/executions/{esc(state.execution_id)}"><code>{esc(state.execution_id)}</code></a></td>'
        f"<td>{esc(api['pipelineName'])}</td><td>{status_badge(state.status.value)}</td>"
        f"<td>{esc(api['progressPct'] or 0)} %</td><td><time>{esc(api['createdAt'])}</time></td></tr>"
    )


def _filters(request: web.Request, pipeline_id: str | None, status: Status | None) -> str:
    pipelines = "".join(
        f'<option value="{esc(p.pipeline_id)}"{" selected" if p.pipeline_id == pipeline_id else ""}>'
        f"{esc(p.name)}</option>"
        for p in visible_pipelines(request)
    )
    statuses = "".join(
        f'<option value="{s.value}"{" selected" if s is status else ""}>{s.value}</option>' for s in Status
    )
    return f"""<form method="get" action="/history" class="filters" role="search">
<div class="field"><label for="pipeline-filter">Pipeline</label><select id="pipeline-filter" name="pipelineId">
<option value="">All pipelines</option>{pipelines}</select></div>
<div class="field"><label for="status-filter">Status</label><select id="status-filter" name="status">
<option value="">Any status</option>{statuses}</select></div><button type="submit">Filter</button></form>"""


def _pager(pipeline_id: str | None, status: Status | None, number: int, total: int) -> str:
    last = max(1, -(-total // PAGE_SIZE))
    base = {k: v for k, v in (("pipelineId", pipeline_id), ("status", status.value if status else None)) if v}

    def link(to: int, label: str, rel: str) -> str:
        return f'<a rel="{rel}" href="/history?{esc(urlencode({**base, "page": to}))}">{label}</a>'

    previous = link(number - 1, "← Newer", "prev") if number > 1 else ""
    following = link(number + 1, "Older →", "next") if number < last else ""
    return f'<nav class="pager" aria-label="Pages">{previous}<span>Page {number} of {last}</span>{following}</nav>'


def setup(app: web.Application) -> None:
    app.router.add_get("/history", html_errors(history), name="page:history")
