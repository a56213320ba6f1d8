"""Finding the caller's files, from this gateway's file store.

A miss is only believed once the store has caught up with the files topic: the
file may have been uploaded through another replica a moment ago.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable

from aiohttp import web

from projections.file_store import StoredFile
from services.gateway import keys
from services.gateway.auth import principal_of

Lookup = Callable[[str, str], Awaitable[StoredFile | None]]


async def find_file(request: web.Request, file_id: str) -> StoredFile | None:
    return await _find(request, request.app[keys.FILES].store.by_file_id, file_id)


async def find_extraction(request: web.Request, extraction_id: str) -> StoredFile | None:
    return await _find(request, request.app[keys.FILES].store.by_extraction_id, extraction_id)


async def _find(request: web.Request, lookup: Lookup, id_: str) -> StoredFile | None:
    tenant_id = principal_of(request).tenant_id
    found = await lookup(tenant_id, id_)
    if found is not None:
        return found
    with contextlib.suppress(TimeoutError):
        await request.app[keys.FILES].wait_caught_up(request.app[keys.SETTINGS].read_your_writes_timeout_s)
    return await lookup(tenant_id, id_)
