"""Finding the caller's execution by id, so that a read right after a 201 never answers 404.

A hit answers from the read model at once. A miss is not yet a 404: the execution may be
on the log and not yet folded here (created through another replica, or its creator's
read-your-writes wait ran out), so the read first waits until this replica has applied
everything the log holds now. Only a miss after that is a 404; when that wait itself
cannot finish, the honest answer is "not ready", not "not found".
"""

from __future__ import annotations

import logging

from aiohttp import web
from aiokafka.errors import KafkaError

from projections.state import ExecutionState
from services.gateway import keys
from services.gateway.errors import ApiError, not_ready

log = logging.getLogger(__name__)


async def find_execution(app: web.Application, tenant_id: str, execution_id: str) -> ExecutionState | None:
    read_model = app[keys.READ_MODEL]
    state = await read_model.get(tenant_id, execution_id)
    if state is not None:
        return state
    try:
        await app[keys.RUNNER].wait_current(app[keys.SETTINGS].read_your_writes_timeout_s)
    except (TimeoutError, KafkaError) as error:
        log.warning("could not reach the log's end to look up %s: %r", execution_id, error)
        raise not_ready("behind the event log and cannot tell whether this execution exists") from None
    return await read_model.get(tenant_id, execution_id)


async def require_execution(app: web.Application, tenant_id: str, execution_id: str, what: str) -> ExecutionState:
    """The caller's execution, or 404: another tenant's ids look exactly like unknown ones."""
    state = await find_execution(app, tenant_id, execution_id)
    if state is None:
        raise ApiError(404, "NotFound", f"No {what}.")
    return state
