"""One signed POST to one endpoint, bounded in time, size and number at once."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

import aiohttp
from standardwebhooks.webhooks import Webhook

from services.webhooks.targets import GuardedResolver, url_problems

USER_AGENT = "execution-tracking-webhooks/1"
MAX_RESPONSE_BYTES = 1024
"""Read of an answer, for the error message only: an endpoint cannot make us hold its body."""


@dataclass(frozen=True)
class Outcome:
    acknowledged: bool
    detail: str
    """`HTTP 200`, `HTTP 500: <start of body>`, or what went wrong on the way."""


def signed_headers(signer: Webhook, msg_id: str, body: str, now: datetime) -> dict[str, str]:
    """Standard Webhooks' three headers: the signature covers id, timestamp and body."""
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signer.sign(msg_id, now, body),
    }


class Deliverer:
    def __init__(self, session: aiohttp.ClientSession, max_in_flight: int, allow_private: bool) -> None:
        self._session = session
        self._slots = asyncio.Semaphore(max_in_flight)
        self._allow_private = allow_private

    async def post(self, url: str, headers: dict[str, str], body: str) -> Outcome:
        # The URL was checked when registered; again here, as addresses in it skip the resolver.
        problems = url_problems(url, self._allow_private)
        if problems:
            return Outcome(False, f"refused: the URL {problems[0]}")
        async with self._slots:
            try:
                # No redirects: a 3xx could send the signed request on to an address we refuse.
                async with self._session.post(url, data=body.encode(), headers=headers, allow_redirects=False) as resp:
                    if 200 <= resp.status < 300:
                        return Outcome(True, f"HTTP {resp.status}")
                    start = await resp.content.read(MAX_RESPONSE_BYTES)
                    return Outcome(False, f"HTTP {resp.status}: {start.decode(errors='replace')[:200]}".rstrip(": "))
            except TimeoutError:
                return Outcome(False, "timed out")
            except (aiohttp.ClientError, OSError) as error:
                return Outcome(False, f"{type(error).__name__}: {error}"[:300])


def client_session(timeout_s: float, max_in_flight: int, allow_private: bool) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(
        limit=max_in_flight, limit_per_host=8, resolver=GuardedResolver(allow_private), ttl_dns_cache=60
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=timeout_s, connect=min(timeout_s, 5.0)),
        auto_decompress=False,  # a small compressed answer must not become a large one
        trust_env=False,  # never through a proxy the environment names
    )
