"""The page frame every screen shares, and HTML escaping: every dynamic value goes through `esc`."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from html import escape

from aiohttp import web

from services.gateway.auth import PRINCIPAL, SESSION_ID
from services.gateway.errors import ApiError
from services.gateway.sessions import CSRF_FIELD, SESSIONS, Session

PageHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
NAV = (("/", "Pipelines"), ("/history", "History"), ("/submit", "/v1 submit"), ("/dashboard", "/v1 dashboard"))


def esc(value: object) -> str:
    return escape(str(value), quote=True)


def pretty(value: object) -> str:
    return esc(json.dumps(value, indent=2, ensure_ascii=False))


def session_of(request: web.Request) -> Session | None:
    session_id = request.get(SESSION_ID)
    return request.app[SESSIONS].find(session_id) if session_id else None


def csrf_input(request: web.Request) -> str:
    session = session_of(request)
    token = session.csrf_token if session else ""
    return f'<input type="hidden" name="{CSRF_FIELD}" value="{esc(token)}">'


def page(
    request: web.Request, title: str, body: str, *, status: int = 200, scripts: tuple[str, ...] = ()
) -> web.Response:
    session = session_of(request)
    signed_in = PRINCIPAL in request  # signed in by cookie or, for API clients, by bearer key
    nav = "".join(f'<a href="{href}">{esc(label)}</a>' for href, label in NAV) if signed_in else ""
    sign_out = (
        f'<form method="post" action="/logout" class="inline">{csrf_input(request)}'
        '<button type="submit" class="link">Sign out</button></form>'
        if session
        else ""
    )
    tags = "".join(f'<script src="/static/{esc(name)}" defer></script>' for name in scripts)
    csrf = esc(session.csrf_token) if session else ""
    html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="csrf-token" content="{csrf}">
<title>{esc(title)} · Execution tracking</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/app.css">{tags}</head>
<body><a class="skip" href="#main">Skip to content</a><header><nav aria-label="Main">
<a href="/" class="brand">Execution tracking</a>{nav}<a href="/docs">API docs</a>{sign_out}</nav></header>
<main id="main"><h1>{esc(title)}</h1>{body}</main></body></html>"""
    return web.Response(text=html, status=status, content_type="text/html", headers={"Cache-Control": "no-store"})


def html_errors(handler: PageHandler) -> PageHandler:
    """A page's errors as pages: a person gets a readable 404, not the API's JSON."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as error:
            body = f'<p role="alert" class="error">{esc(error.message)}</p><p><a href="/">Back to pipelines</a></p>'
            response = page(request, _titles.get(error.status, "Something went wrong"), body, status=error.status)
            response.headers.update(error.headers)
            return response

    return wrapped


_titles = {400: "Bad request", 404: "Not found", 409: "Conflict", 422: "Invalid input", 429: "Too many requests"}


def status_badge(status: str) -> str:
    return f'<span class="badge status-{esc(status.lower())}">{esc(status)}</span>'
