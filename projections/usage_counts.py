"""Recent creation counts in memory, beside the usage tables they mirror.

Every trigger checks its key's creations this minute and the last, and its tenant's this month.
Asking SQLite meant two trips to its thread per trigger; the read model's one writer keeps the
counts it commits here instead, loaded once at open for the minutes and month that can still be
asked about.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiosqlite

from contracts.events import ExecutionCreated
from projections.sqlite_files import fetch_all


@dataclass(frozen=True)
class Usage:
    actor_this_minute: int
    actor_previous_minute: int
    tenant_this_month: int


def usage_minute(moment: datetime) -> str:
    """`%Y-%m-%dT%H:%M` in UTC (isoformat's prefix: half strftime's cost)."""
    return moment.astimezone(UTC).isoformat()[:16]


def usage_month(moment: datetime) -> str:
    """`%Y-%m` in UTC."""
    return moment.astimezone(UTC).isoformat()[:7]


class UsageCounts:
    def __init__(self, since: datetime) -> None:
        self._first_minute = usage_minute(since - timedelta(minutes=1))
        self._first_month = usage_month(since)
        self._minutes: dict[tuple[str, str], int] = {}
        self._months: dict[tuple[str, str], int] = {}
        self._newest = since

    @classmethod
    async def load(cls, db: aiosqlite.Connection, now: datetime) -> UsageCounts:
        counts = cls(now)
        minutes = await fetch_all(
            db, "SELECT actor, minute, executions FROM minute_usage WHERE minute >= ?", (counts._first_minute,)
        )
        counts._minutes = {(actor, minute): n for actor, minute, n in minutes}
        months = await fetch_all(
            db, "SELECT tenant_id, month, executions FROM monthly_usage WHERE month >= ?", (counts._first_month,)
        )
        counts._months = {(tenant, month): n for tenant, month, n in months}
        return counts

    def add(self, created: Iterable[ExecutionCreated]) -> None:
        """Count creations just committed to the tables (older ones than were loaded are not asked about)."""
        for event in created:
            minute, month = usage_minute(event.time), usage_month(event.time)
            if minute >= self._first_minute:
                key = (event.data.created_by, minute)
                self._minutes[key] = self._minutes.get(key, 0) + 1
            if month >= self._first_month:
                key = (event.tenantid, month)
                self._months[key] = self._months.get(key, 0) + 1
            if event.time > self._newest + timedelta(minutes=1):
                self._forget_before(event.time)

    def usage(self, tenant_id: str, actor: str, now: datetime) -> Usage | None:
        """The counts, or None for a moment before what is kept (then the tables must answer)."""
        this, previous = usage_minute(now), usage_minute(now - timedelta(minutes=1))
        if previous < self._first_minute or usage_month(now) < self._first_month:
            return None
        return Usage(
            actor_this_minute=self._minutes.get((actor, this), 0),
            actor_previous_minute=self._minutes.get((actor, previous), 0),
            tenant_this_month=self._months.get((tenant_id, usage_month(now)), 0),
        )

    def _forget_before(self, newest: datetime) -> None:
        """Minutes no check can ask about any more: two before the newest creation seen."""
        self._newest = newest
        self._first_minute = usage_minute(newest - timedelta(minutes=2))
        self._minutes = {key: n for key, n in self._minutes.items() if key[1] >= self._first_minute}
