"""Sign-in with an API key (checked, then forgotten: the session keeps only its hash) and sign-out."""

from __future__ import annotations

from aiohttp import web

from contracts.tenancy import hash_key
from services.gateway.auth import KEYRING, SESSION_ID
from services.gateway.sessions import COOKIE, SESSIONS, clear_cookie, set_cookie
from services.gateway.web.form_body import read_form
from services.gateway.web.layout import esc, page

MAX_KEY_CHARS = 512


def _login_form(request: web.Request, next_path: str, error: str = "") -> str:
    alert = f'<p role="alert" class="error" id="login-error">{esc(error)}</p>' if error else ""
    return f"""{alert}<form method="post" action="/login" class="card narrow">
<input type="hidden" name="next" value="{esc(next_path)}">
<label for="api-key">API key</label>
<input id="api-key" name="api_key" type="password" required autocomplete="current-password"
 aria-describedby="{"login-error " if error else ""}key-help"{' aria-invalid="true"' if error else ""}>
<p id="key-help" class="help">The key stays on the server side: this browser keeps only a session cookie.</p>
<button type="submit">Sign in</button></form>"""


def safe_next(raw: str | None) -> str:
    """Only a path on this site: `//evil.example` or a full URL would make sign-in an open redirect
    (and browsers drop tabs and newlines from a URL, so "/<tab>/evil.example" is one too)."""
    if not raw or not raw.startswith("/") or "\\" in raw or any(c.isspace() or not c.isprintable() for c in raw):
        return "/"
    return "/" if raw.startswith("//") else raw


async def login_form(request: web.Request) -> web.Response:
    return page(request, "Sign in", _login_form(request, safe_next(request.query.get("next"))))


async def login(request: web.Request) -> web.Response:
    form = await read_form(request)
    key, next_path = str(form.get("api_key", "")).strip(), safe_next(str(form.get("next", "")))
    digest = hash_key(key) if 0 < len(key) <= MAX_KEY_CHARS else None
    if digest is None or request.app[KEYRING].by_digest(digest) is None:
        return page(request, "Sign in", _login_form(request, next_path, "That API key is not valid."), status=401)
    request.app[SESSIONS].close(request.cookies.get(COOKIE))  # a sign-in always starts a new session
    session_id, _ = request.app[SESSIONS].open(digest)
    response = web.HTTPSeeOther(next_path)
    set_cookie(request, response, session_id)
    raise response


async def logout(request: web.Request) -> web.Response:
    request.app[SESSIONS].close(request.get(SESSION_ID))
    response = web.HTTPSeeOther("/login")
    clear_cookie(response)
    raise response


def setup(app: web.Application) -> None:
    app.router.add_get("/login", login_form, name="open:login")
    app.router.add_post("/login", login, name="open:login_submit")
    app.router.add_post("/logout", logout, name="page:logout")
