"""What the handler knows about each partition it owns.

It commits the *low watermark*: the offset of the oldest `Created` whose
execution is unfinished (no `Completed` read back from the log yet). A new
owner starts there and folds every unfinished execution back from the log.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from projections.state import ExecutionState


@dataclass
class Tracked:
    state: ExecutionState
    partition: int
    created_offset: int
    task: asyncio.Task[None] | None = None


@dataclass
class PartitionProgress:
    partition: int
    catch_up_until: int
    """End of the partition when it was assigned: before it, only fold; from it, run."""
    next_offset: int
    executions: dict[str, Tracked] = field(default_factory=dict)
    launched: bool = False
    committed: int | None = None

    @property
    def caught_up(self) -> bool:
        return self.next_offset >= self.catch_up_until

    def low_watermark(self) -> int:
        return min((t.created_offset for t in self.executions.values()), default=self.next_offset)

    def tasks(self) -> list[asyncio.Task[None]]:
        return [t.task for t in self.executions.values() if t.task is not None and not t.task.done()]
