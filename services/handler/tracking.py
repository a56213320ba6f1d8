"""What the handler knows about each partition it owns.

It commits the *low watermark*: the offset of the oldest `Created` whose
execution is unfinished (no `Completed` read back from the log yet). A new
owner starts there and folds every unfinished execution back from the log.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass, field

from projections.state import ExecutionState, Status

FINISHED_REMEMBERED = 10_000
"""Finished executions remembered per partition: enough to recognise a retried `Completed`
or a repeated `Created` arriving soon after, small enough to keep for days."""


@dataclass
class Tracked:
    state: ExecutionState
    partition: int
    created_offset: int
    created_id: str
    """The `Created` event's id: the same event sent twice is not a second execution."""
    task: asyncio.Task[None] | None = None


@dataclass(frozen=True, slots=True)
class Finished:
    sequence: int
    status: Status
    created_id: str


@dataclass
class PartitionProgress:
    partition: int
    catch_up_until: int
    """End of the partition when it was assigned: before it, only fold; from it, run."""
    next_offset: int
    executions: dict[str, Tracked] = field(default_factory=dict)
    finished: OrderedDict[str, Finished] = field(default_factory=OrderedDict)
    """Executions whose `Completed` was read since the assignment, oldest first."""
    launched: bool = False
    committed: int | None = None
    lost: bool = False
    """An event could not be written: what we hold may be ahead of the log, so nothing more is
    read or written here until the consumer group hands the partition out again."""

    @property
    def caught_up(self) -> bool:
        return self.next_offset >= self.catch_up_until

    def low_watermark(self) -> int:
        return min((t.created_offset for t in self.executions.values()), default=self.next_offset)

    def tasks(self) -> list[asyncio.Task[None]]:
        return [t.task for t in self.executions.values() if t.task is not None and not t.task.done()]

    def finish(self, tracked: Tracked) -> None:
        execution_id = tracked.state.execution_id
        self.executions.pop(execution_id, None)
        self.finished[execution_id] = Finished(tracked.state.sequence, tracked.state.status, tracked.created_id)
        if len(self.finished) > FINISHED_REMEMBERED:
            self.finished.popitem(last=False)
