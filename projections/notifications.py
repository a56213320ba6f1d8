"""Fan-out of committed state changes to the live streams of one process.

Each subscriber has a bounded queue. A subscriber that falls behind is cut
off (it gets `None` and must disconnect) instead of growing memory.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

from projections.state import ExecutionState


class Subscription:
    def __init__(self, execution_id: str, max_pending: int) -> None:
        self.execution_id = execution_id
        self._queue: asyncio.Queue[ExecutionState | None] = asyncio.Queue(max_pending)
        self.overflowed = False

    def offer(self, state: ExecutionState | None) -> None:
        if self.overflowed:
            return
        try:
            self._queue.put_nowait(state)
        except asyncio.QueueFull:
            self.overflowed = True
            self._drain()
            self._queue.put_nowait(None)

    async def next(self) -> ExecutionState | None:
        """The next change; `None` means the stream must end (too slow or shutting down)."""
        return await self._queue.get()

    def _drain(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()


class ChangeHub:
    def __init__(self, max_pending: int = 256) -> None:
        self._max_pending = max_pending
        self._subscribers: dict[str, set[Subscription]] = defaultdict(set)
        self._bells: dict[str, asyncio.Event] = {}

    def bell(self, tenant_id: str) -> asyncio.Event:
        """Set at the tenant's next committed change. Take it before reading, then wait on it:
        a change committed in between still rings it."""
        return self._bells.setdefault(tenant_id, asyncio.Event())

    @contextmanager
    def subscribe(self, execution_id: str) -> Iterator[Subscription]:
        subscription = Subscription(execution_id, self._max_pending)
        self._subscribers[execution_id].add(subscription)
        try:
            yield subscription
        finally:
            subscribers = self._subscribers.get(execution_id)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._subscribers[execution_id]

    def publish(self, transitions: list[ExecutionState]) -> None:
        for state in transitions:
            for subscription in self._subscribers.get(state.execution_id, ()):
                subscription.offer(state)
        for tenant_id in {state.tenant_id for state in transitions}:
            if (bell := self._bells.pop(tenant_id, None)) is not None:
                bell.set()

    def close_all(self) -> None:
        for subscribers in self._subscribers.values():
            for subscription in subscribers:
                subscription.offer(None)

    @property
    def subscriber_count(self) -> int:
        return sum(len(subscribers) for subscribers in self._subscribers.values())
