"""The files a pipeline reads, from the handler's own copy of the files topic."""

from __future__ import annotations

import contextlib

from contracts.files import FileExtractedData
from projections.files_follower import FilesFollower


class FollowedFiles:
    def __init__(self, follower: FilesFollower, catch_up_s: float = 30.0) -> None:
        self._follower = follower
        self._catch_up_s = catch_up_s

    async def extraction(self, tenant_id: str, extraction_id: str) -> FileExtractedData | None:
        """The tenant's extraction; a miss is only believed once caught up with the topic
        (the gateway appended the file before the execution that names it)."""
        store = self._follower.store
        found = await store.by_extraction_id(tenant_id, extraction_id)
        if found is None:
            with contextlib.suppress(TimeoutError):
                await self._follower.wait_caught_up(self._catch_up_s)
            found = await store.by_extraction_id(tenant_id, extraction_id)
        return found.data if found is not None else None
