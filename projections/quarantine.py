"""Records a reader could not apply: skipped one by one, counted, the latest few kept for operators.

A read model never stops for one record: whatever it cannot decode, fold or store is set
aside here and reading goes on. Dead letters are the handler's job (its consumer group
writes each once); every reader only skips, and says so.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

KEPT = 20


@dataclass(frozen=True)
class Quarantined:
    topic: str
    partition: int
    offset: int
    reason: str

    def to_api(self) -> dict[str, Any]:
        return {"topic": self.topic, "partition": self.partition, "offset": self.offset, "reason": self.reason}


class Quarantine:
    def __init__(self) -> None:
        self.count = 0
        self.latest: deque[Quarantined] = deque(maxlen=KEPT)

    def add(self, topic: str, partition: int, offset: int, reason: str) -> None:
        self.count += 1
        self.latest.append(Quarantined(topic, partition, offset, reason[:500]))
        log.warning("skipped record %s:%s:%s: %s", topic, partition, offset, reason[:500])

    def to_api(self) -> dict[str, Any]:
        return {"count": self.count, "latest": [q.to_api() for q in self.latest]}
