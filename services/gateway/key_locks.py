"""Locks per idempotency key, so one replica never creates twice for concurrent retries."""

from __future__ import annotations

import asyncio
import weakref


class KeyLocks:
    """One lock per (tenant, key) in use; forgotten once nobody holds it."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = weakref.WeakValueDictionary()

    def lock(self, tenant_id: str, key: str) -> asyncio.Lock:
        found = self._locks.get((tenant_id, key))
        if found is None:
            found = self._locks[(tenant_id, key)] = asyncio.Lock()
        return found
