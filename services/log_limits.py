"""One log line per cause and interval, however often the cause repeats.

With the broker away, every Kafka client of a service retries several times a second and
aiokafka logs each failure: hundreds of identical ERROR lines a second that bury the one
worth reading. A cause is the logger, the level and the message's template (its arguments
left out: the same failure names a different node or attempt). The first record of a cause
passes; the next passes once `interval_s` has gone by, saying how many were held back.
A rare line that must always show says so with `extra=EVERY_TIME`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

INTERVAL_S = 30.0
LIMITED_LOGGERS = ("aiokafka", "services", "projections")
EVERY_TIME = {"every_time": True}
MAX_CAUSES = 1000
"""Causes remembered at most; a logger that puts its arguments into the template makes many."""


@dataclass
class _Seen:
    since: float
    held: int = 0


class OncePerInterval(logging.Filter):
    def __init__(
        self,
        interval_s: float = INTERVAL_S,
        min_level: int = logging.WARNING,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._interval_s = interval_s
        self._min_level = min_level
        self._clock = clock
        self._seen: dict[tuple[str, int, str], _Seen] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < self._min_level or getattr(record, "every_time", False):
            return True
        cause = (record.name, record.levelno, str(record.msg))
        now = self._clock()
        with self._lock:
            seen = self._seen.get(cause)
            if seen is not None and now - seen.since < self._interval_s:
                seen.held += 1
                return False
            if len(self._seen) >= MAX_CAUSES:
                self._seen.clear()
            self._seen[cause] = _Seen(now)
        if seen is not None and seen.held:
            record.msg = f"{record.msg} [{seen.held} more like this in the last {now - seen.since:.0f} s]"
        return True


_FILTER = OncePerInterval()


def limit_repeats(prefixes: tuple[str, ...] = LIMITED_LOGGERS) -> None:
    """Attach the filter to every logger under `prefixes` that exists by now (each module's
    logger is made on import), once each. A filter on a logger applies to that logger only."""
    names = [name for name in list(logging.root.manager.loggerDict) if name.startswith(prefixes)]
    for name in {*prefixes, *names}:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
