"""How the services' processes collect cyclic garbage: rarely, and never through start-up's objects.

Events allocate many short-lived containers (validated models, dicts, rows), nearly all freed by
reference counting. With CPython's default threshold (a young collection every 700 allocations)
the collector ran so often that it doubled the cost of decoding an event and made a third of a
replay's time (bench/results/README.md, stop 18). Cycles still get collected, just in fewer,
larger passes.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000
OLDER_THRESHOLDS = (20, 20)


def tune_garbage_collection() -> None:
    """Call once, after start-up's imports: what exists now is never traversed again."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
