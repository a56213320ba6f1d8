"""States of one execution through its history, folded by the same `evolve`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from contracts.events import ExecutionEvent
from projections.state import ExecutionState, evolve, is_duplicate


def folded(events: Iterable[ExecutionEvent]) -> Iterator[tuple[ExecutionEvent, ExecutionState]]:
    """Each event that changed the execution, with the state after it, in order."""
    current: ExecutionState | None = None
    for event in events:
        if is_duplicate(current, event):
            continue
        current = evolve(current, event)
        yield event, current


def states_through(events: Iterable[ExecutionEvent]) -> list[ExecutionState]:
    """The state after each lifecycle event, in order."""
    return [state for _, state in folded(events)]


def states_after(events: Iterable[ExecutionEvent], sequence: int) -> list[ExecutionState]:
    """What a client that has seen up to `sequence` missed."""
    return [state for state in states_through(events) if state.sequence > sequence]


def state_as_of(events: Iterable[ExecutionEvent], moment: datetime | int) -> ExecutionState | None:
    """The state after the last event at or before `moment` (a time, or a sequence number);
    None when the execution did not exist yet."""
    found: ExecutionState | None = None
    for event, state in folded(events):
        if _after(event, moment):
            break
        found = state
    return found


def _after(event: ExecutionEvent, moment: datetime | int) -> bool:
    if isinstance(moment, int):
        return (event.sequence or 0) > moment
    return event.time > moment
