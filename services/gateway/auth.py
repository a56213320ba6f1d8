"""Bearer API keys: each belongs to a tenant, and is held only as a hash.

A browser signs in once (`services/gateway/web`) and is then known by its session cookie, which
stands for the same key; requests it sends that change state must also carry the session's
CSRF token, since a browser attaches cookies to requests other sites make it send.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from contracts.tenancy import hash_key
from projections.directory import Directory
from services.gateway.errors import ApiError
from services.gateway.sessions import COOKIE, CSRF_FIELD, CSRF_HEADER, SESSIONS, Session, SessionStore

PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/openapi.json", "/docs"})
ADMIN_PREFIX = "/admin/"
PAGE_ROUTE = "page:"
"""Route-name prefix of the web UI's pages: a visitor with no session is sent to sign in, not given a 401."""
OPEN_ROUTE = "open:"
"""Route-name prefix of what anyone may fetch: the sign-in form and the UI's static assets."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Principal:
    tenant_id: str
    key_id: str

    @property
    def actor(self) -> str:
        return f"{self.tenant_id}/{self.key_id}"


PRINCIPAL = web.RequestKey("principal", Principal)
SESSION_ID = web.RequestKey("session_id", str)


class Keyring:
    """Keys from settings (the dev tenant's), plus those issued through the tenancy topic."""

    def __init__(
        self, principals_by_hash: Mapping[str, Principal], directory: Callable[[], Directory] = Directory
    ) -> None:
        self._by_hash = dict(principals_by_hash)
        self._directory = directory

    @classmethod
    def from_plain(cls, keys: Mapping[str, str], directory: Callable[[], Directory] = Directory) -> Keyring:
        """Build from `key -> tenant id`; the key id is derived from the hash, never the key."""
        by_hash = {}
        for key, tenant_id in keys.items():
            digest = hash_key(key)
            by_hash[digest] = Principal(tenant_id=tenant_id, key_id=f"key_{digest[:12]}")
        return cls(by_hash, directory)

    def authenticate(self, header: str | None) -> Principal:
        principal = self.by_digest(hash_key(bearer_token(header)))
        if principal is None:
            raise _unauthorized("The API key is not valid.")
        return principal

    def by_digest(self, digest: str) -> Principal | None:
        """The key's owner, or None once the key is unknown or revoked."""
        principal = self._by_hash.get(digest)
        if principal is None and (issued := self._directory().active.get(digest)) is not None:
            principal = Principal(tenant_id=issued.tenant_id, key_id=issued.key_id)
        return principal


def bearer_token(header: str | None) -> str:
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("Send 'Authorization: Bearer <api key>'.")
    return token.strip()


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "Unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def auth_middleware(keyring: Keyring, admin_key: str | None, sessions: SessionStore | None = None) -> Middleware:
    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        route_name = request.match_info.route.name or ""
        if request.path.startswith(ADMIN_PREFIX):
            _check_admin(admin_key, request.headers.get("Authorization"))
        elif request.path in PUBLIC_PATHS or route_name.startswith(OPEN_ROUTE):
            pass
        elif sessions is None or "Authorization" in request.headers:
            request[PRINCIPAL] = keyring.authenticate(request.headers.get("Authorization"))
        else:
            await _authenticate_session(request, keyring, sessions, route_name.startswith(PAGE_ROUTE))
        return await handler(request)

    return authenticate


async def _authenticate_session(request: web.Request, keyring: Keyring, sessions: SessionStore, page: bool) -> None:
    session_id = request.cookies.get(COOKIE)
    session = sessions.find(session_id)
    principal = keyring.by_digest(session.key_digest) if session is not None else None
    if session is None or principal is None or session_id is None:
        if page:
            raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs, safe='')}")
        raise _unauthorized("Send 'Authorization: Bearer <api key>', or sign in at /login.")
    if request.method not in SAFE_METHODS and not await _csrf_ok(request, session):
        raise ApiError(
            403,
            "CsrfTokenInvalid",
            f"A request signed in by cookie must carry the session's CSRF token ({CSRF_HEADER} header or "
            f"{CSRF_FIELD} form field); reload the page and try again.",
        )
    request[PRINCIPAL] = principal
    request[SESSION_ID] = session_id


async def _csrf_ok(request: web.Request, session: Session) -> bool:
    if CSRF_HEADER in request.headers:
        return session.csrf_matches(request.headers[CSRF_HEADER])
    if request.content_type != FORM_TYPE:
        return False  # a multipart body is the upload's to stream: its token comes in the header
    try:
        field = (await request.post()).get(CSRF_FIELD)  # cached by aiohttp: the handler reads the same form
    except ValueError:
        return False  # unreadable: there is no token in it
    return isinstance(field, str) and session.csrf_matches(field)


def _check_admin(admin_key: str | None, header: str | None) -> None:
    if admin_key is None:
        raise ApiError(404, "NotFound", "No such route.")  # the admin API is off unless ADMIN_API_KEY is set
    if not hmac.compare_digest(hash_key(bearer_token(header)), hash_key(admin_key)):
        raise _unauthorized("This is not the admin key.")


def principal_of(request: web.Request) -> Principal:
    return request[PRINCIPAL]


def still_authorized(request: web.Request) -> bool:
    """Whether the key that opened this request is still valid: a long stream asks again as it
    goes, so revoking a key also ends the streams it opened (and signing out, those of a session)."""
    session_id = request.get(SESSION_ID)
    if session_id is not None:
        session = request.app[SESSIONS].find(session_id)
        return session is not None and request.app[KEYRING].by_digest(session.key_digest) == principal_of(request)
    try:
        return request.app[KEYRING].authenticate(request.headers.get("Authorization")) == principal_of(request)
    except ApiError:
        return False


KEYRING = web.AppKey("keyring", Keyring)
