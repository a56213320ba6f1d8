"""Bearer API keys: each belongs to a tenant, and is held only as a hash."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from contracts.tenancy import hash_key
from projections.directory import Directory
from services.gateway.errors import ApiError

PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/openapi.json", "/docs"})
ADMIN_PREFIX = "/admin/"


@dataclass(frozen=True)
class Principal:
    tenant_id: str
    key_id: str

    @property
    def actor(self) -> str:
        return f"{self.tenant_id}/{self.key_id}"


PRINCIPAL = web.RequestKey("principal", Principal)


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
        digest = hash_key(bearer_token(header))
        principal = self._by_hash.get(digest)
        if principal is None and (issued := self._directory().active.get(digest)) is not None:
            principal = Principal(tenant_id=issued.tenant_id, key_id=issued.key_id)
        if principal is None:
            raise _unauthorized("The API key is not valid.")
        return principal


def bearer_token(header: str | None) -> str:
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("Send 'Authorization: Bearer <api key>'.")
    return token.strip()


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "Unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def auth_middleware(keyring: Keyring, admin_key: str | None) -> Middleware:
    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(ADMIN_PREFIX):
            _check_admin(admin_key, request.headers.get("Authorization"))
        elif request.path not in PUBLIC_PATHS:
            request[PRINCIPAL] = keyring.authenticate(request.headers.get("Authorization"))
        return await handler(request)

    return authenticate


def _check_admin(admin_key: str | None, header: str | None) -> None:
    if admin_key is None:
        raise ApiError(404, "NotFound", "No such route.")  # the admin API is off unless ADMIN_API_KEY is set
    if not hmac.compare_digest(hash_key(bearer_token(header)), hash_key(admin_key)):
        raise _unauthorized("This is not the admin key.")


def principal_of(request: web.Request) -> Principal:
    return request[PRINCIPAL]


def still_authorized(request: web.Request) -> bool:
    """Whether the key that opened this request is still valid: a long stream asks again as it
    goes, so revoking a key also ends the streams it opened."""
    try:
        return request.app[KEYRING].authenticate(request.headers.get("Authorization")) == principal_of(request)
    except ApiError:
        return False


KEYRING = web.AppKey("keyring", Keyring)
