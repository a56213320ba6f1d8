"""Per-key creations per minute and per-tenant executions per month, counted from the log.

The counts come from this replica's read model, folded from `Created` events,
so every replica agrees up to its lag. Creations this replica has sent but not
yet folded are counted too, so a burst cannot slip past the check.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from projections.store import ReadModel
from projections.usage_counts import Usage
from services.gateway.auth import Principal
from services.gateway.errors import ApiError


@dataclass(frozen=True)
class Limits:
    per_key_per_minute: int = 600
    monthly_executions: int = 100_000


class LimitGuard:
    def __init__(self, read_model: ReadModel, limits: Limits, clock: Callable[[], datetime]) -> None:
        self._read_model = read_model
        self._limits = limits
        self._clock = clock
        self._in_flight: Counter[str] = Counter()

    @asynccontextmanager
    async def admit(self, principal: Principal) -> AsyncIterator[None]:
        """Hold a place for one creation, or raise 429 with what to do about it."""
        now = self._clock()
        usage = await self._read_model.usage(principal.tenant_id, principal.actor, now)
        if _last_minute(usage, now) + self._in_flight[principal.actor] >= self._limits.per_key_per_minute:
            raise ApiError(
                429,
                "RateLimitExceeded",
                f"More than {self._limits.per_key_per_minute} executions a minute for this API key; retry later.",
                headers={"Retry-After": str(60 - now.second)},
            )
        if usage.tenant_this_month + self._in_flight[principal.tenant_id] >= self._limits.monthly_executions:
            raise ApiError(
                429,
                "TierLimitExceeded",
                f"Monthly execution limit reached ({self._limits.monthly_executions}); it resets next month.",
            )
        self._in_flight.update((principal.actor, principal.tenant_id))
        try:
            yield
        finally:
            self._in_flight.subtract((principal.actor, principal.tenant_id))


def _last_minute(usage: Usage, now: datetime) -> float:
    """A sliding minute from two fixed ones: the previous minute weighted by how much of it
    still falls within the last 60 s. Two rows per check, however busy the key is."""
    share_of_previous = 1 - (now.second + now.microsecond / 1e6) / 60
    return usage.actor_this_minute + usage.actor_previous_minute * share_of_previous
