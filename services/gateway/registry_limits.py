"""Bounds on what a tenant can register: every list it can grow has a size it cannot pass.

Pipelines live in every gateway's memory and `GET /pipelines` returns them all; example sets
and their examples are returned whole. Without bounds one tenant could grow every replica's
memory and every listing without end.
"""

from __future__ import annotations

from services.gateway.errors import ApiError

MAX_PIPELINES_PER_TENANT = 100
MAX_PIPELINE_BYTES = 64 * 1024
"""Of the encoded registration event: schemas and configuration included."""
MAX_EXAMPLE_SETS_PER_TENANT = 100
MAX_EXAMPLES_PER_SET = 1000


def room_for(what: str, count: int, limit: int) -> None:
    """422 when `count` of `what` already reach `limit`."""
    if count >= limit:
        raise ApiError(
            422, "LimitReached", f"At most {limit} {what}; this limit is reached. Archive or reuse one instead."
        )


def small_enough(what: str, size: int, limit: int) -> None:
    if size > limit:
        raise ApiError(413, "ContextTooLarge", f"The {what} takes {size} bytes; at most {limit} are accepted.")
