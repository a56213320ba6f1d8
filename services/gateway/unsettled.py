"""Creations whose send went unconfirmed, kept until a retry with their key learns the outcome.

The send goes on after the client was told "outcome unknown"; a retry with the same
Idempotency-Key waits for it here instead of racing it, so it never creates a second time.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict

from aiokafka.structs import RecordMetadata

Delivery = asyncio.Future[RecordMetadata]
KEPT = 10_000


class Unsettled:
    def __init__(self) -> None:
        self._deliveries: OrderedDict[tuple[str, str], Delivery] = OrderedDict()

    def remember(self, tenant_id: str, key: str, delivery: Delivery) -> None:
        self._deliveries[(tenant_id, key)] = delivery
        while len(self._deliveries) > KEPT:
            # The oldest have long settled on the log: a retry finds them in the read model.
            self._deliveries.popitem(last=False)

    def get(self, tenant_id: str, key: str) -> Delivery | None:
        return self._deliveries.get((tenant_id, key))

    def forget(self, tenant_id: str, key: str) -> None:
        self._deliveries.pop((tenant_id, key), None)
