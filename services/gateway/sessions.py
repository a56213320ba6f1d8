"""Browser sessions: a random id in an HttpOnly cookie, mapped in memory to the key's hash.

The key itself is never kept: the session holds its hash, so every request re-checks it
against the keyring and a revoked key ends its sessions too. Sessions live in this process
only (a restart signs everyone out; replicas need sticky routing or their own sign-in).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

COOKIE = "et_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
MAX_SESSIONS = 10_000
LIFETIME_S = 12 * 3600


@dataclass(frozen=True)
class Session:
    key_digest: str
    csrf_token: str
    expires_at: float

    def csrf_matches(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.csrf_token.encode())


class SessionStore:
    """Bounded: past `MAX_SESSIONS` the oldest sign-in is dropped, so sign-ins cannot exhaust memory."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, limit: int = MAX_SESSIONS) -> None:
        self._by_id: OrderedDict[str, Session] = OrderedDict()
        self._clock = clock
        self._limit = limit

    def open(self, key_digest: str) -> tuple[str, Session]:
        session_id = secrets.token_urlsafe(32)
        session = Session(key_digest, secrets.token_urlsafe(32), self._clock() + LIFETIME_S)
        self._by_id[_index(session_id)] = session
        while len(self._by_id) > self._limit:
            self._by_id.popitem(last=False)
        return session_id, session

    def find(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        session = self._by_id.get(_index(session_id))
        if session is not None and session.expires_at <= self._clock():
            self.close(session_id)
            return None
        return session

    def close(self, session_id: str | None) -> None:
        if session_id:
            self._by_id.pop(_index(session_id), None)


def _index(session_id: str) -> str:
    # Held hashed, so a memory dump or a timing leak of the dict lookup does not yield live cookies.
    return hashlib.sha256(session_id.encode()).hexdigest()


def set_cookie(request: web.Request, response: web.StreamResponse, session_id: str) -> None:
    response.set_cookie(
        COOKIE,
        session_id,
        max_age=LIFETIME_S,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=request.secure,
    )


def clear_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path="/")


SESSIONS = web.AppKey("sessions", SessionStore)
