"""Bearer API keys: each belongs to a tenant, and is held only as a hash."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from services.gateway.errors import ApiError

PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/openapi.json", "/docs"})


@dataclass(frozen=True)
class Principal:
    tenant_id: str
    key_id: str

    @property
    def actor(self) -> str:
        return f"{self.tenant_id}/{self.key_id}"


PRINCIPAL = web.RequestKey("principal", Principal)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class Keyring:
    def __init__(self, principals_by_hash: Mapping[str, Principal]) -> None:
        self._by_hash = dict(principals_by_hash)

    @classmethod
    def from_plain(cls, keys: Mapping[str, str]) -> Keyring:
        """Build from `key -> tenant id`; the key id is derived from the hash, never the key."""
        by_hash = {}
        for key, tenant_id in keys.items():
            digest = hash_key(key)
            by_hash[digest] = Principal(tenant_id=tenant_id, key_id=f"key_{digest[:12]}")
        return cls(by_hash)

    def authenticate(self, header: str | None) -> Principal:
        scheme, _, token = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized("Send 'Authorization: Bearer <api key>'.")
        principal = self._by_hash.get(hash_key(token.strip()))
        if principal is None:
            raise _unauthorized("The API key is not valid.")
        return principal


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "Unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def auth_middleware(keyring: Keyring) -> Middleware:
    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path not in PUBLIC_PATHS:
            request[PRINCIPAL] = keyring.authenticate(request.headers.get("Authorization"))
        return await handler(request)

    return authenticate


def principal_of(request: web.Request) -> Principal:
    return request[PRINCIPAL]
