"""Where a webhook may point: checked when it is registered, and again at every connection.

A tenant's URL is a request the service makes from inside its own network (SSRF): loopback,
private, link-local (the cloud metadata service at 169.254.169.254) and other non-global
addresses are refused unless the operator allows them (`WEBHOOK_ALLOW_PRIVATE_TARGETS=1`, for
development and tests). Names are checked again after every DNS lookup, so a name that
resolves to a private address later (DNS rebinding) is refused then too.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

MAX_URL_LENGTH = 2048
LOCAL_NAMES = ("localhost", "metadata.google.internal")


def forbidden_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def url_problems(url: str, allow_private: bool) -> list[str]:
    """What is wrong with `url` as a webhook target; empty when it may be used."""
    if len(url) > MAX_URL_LENGTH:
        return [f"at most {MAX_URL_LENGTH} characters"]
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises on a port that is not a number
    except ValueError as error:
        return [f"not a URL: {error}"]
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return ["must be an absolute https:// URL"]
    if parts.scheme == "http" and not allow_private:
        return ["must use https (plain http is only for development hosts the operator allows)"]
    if parts.username is not None or parts.password is not None:
        return ["must not carry credentials: verify the signature instead"]
    if parts.fragment:
        return ["must not have a #fragment"]
    if allow_private:
        return []
    return _host_problems(parts.hostname)


def _host_problems(host: str) -> list[str]:
    try:
        private = forbidden_address(host)
    except ValueError:  # a name, not an address
        name = host.rstrip(".").lower()
        private = any(name == local or name.endswith("." + local) for local in LOCAL_NAMES)
    if private:
        return ["points at a loopback, private, link-local or metadata address, which webhooks may not reach"]
    return []


class GuardedResolver(AbstractResolver):
    """DNS that answers only with addresses a webhook may reach."""

    def __init__(self, allow_private: bool, inner: AbstractResolver | None = None) -> None:
        self._allow_private = allow_private
        self._inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        if self._allow_private:
            return found
        allowed = [result for result in found if not forbidden_address(result["host"])]
        if not allowed:
            raise OSError(f"{host} resolves only to addresses webhooks may not reach")
        return allowed

    async def close(self) -> None:
        await self._inner.close()
