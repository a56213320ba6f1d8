"""When to try a failing endpoint again: exponential, capped, with jitter."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    base_s: float = 1.0
    cap_s: float = 60.0

    def delay(self, failures: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after the `failures`-th failure in a row (1, 2, ...).

        Half of the exponential step is fixed and half random ("equal jitter"): endpoints that
        failed together do not all come back at the same instant, and none is retried sooner
        than half its step.
        """
        step = min(self.cap_s, self.base_s * 2.0 ** min(failures - 1, 62))
        return step / 2 + step / 2 * rand()
