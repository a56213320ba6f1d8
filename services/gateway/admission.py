"""Shedding load before anything is sent: a bounded number of appends in flight per gateway.

When the gateway is saturated, a send that starts now would run out its deadline mid-send and
leave its outcome unknown. Waiting briefly for a free slot, then answering 503 `Overloaded`
before producing anything, keeps every such answer exact: nothing was recorded, retry later.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from services.gateway.errors import ApiError

RETRY_AFTER_S = 1


class AppendGate:
    def __init__(self, max_in_flight: int, wait_s: float) -> None:
        self._slots = asyncio.Semaphore(max_in_flight)
        self._wait_s = wait_s

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self._slots.locked():  # only then is there a wait to bound (a timer per append cost ~2 % CPU)
            try:
                async with asyncio.timeout(self._wait_s):
                    await self._slots.acquire()
            except TimeoutError:
                raise overloaded() from None
        else:
            await self._slots.acquire()
        try:
            yield
        finally:
            self._slots.release()


def overloaded() -> ApiError:
    return ApiError(
        503,
        "Overloaded",
        "The gateway is at capacity; nothing was recorded. Retry after the delay in Retry-After.",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )
