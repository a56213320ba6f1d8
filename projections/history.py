"""States of one execution through its history, folded by the same `evolve`."""

from __future__ import annotations

from collections.abc import Iterable

from contracts.events import ExecutionEvent
from projections.state import ExecutionState, evolve, is_duplicate


def states_through(events: Iterable[ExecutionEvent]) -> list[ExecutionState]:
    """The state after each lifecycle event, in order."""
    states: list[ExecutionState] = []
    current: ExecutionState | None = None
    for event in events:
        if is_duplicate(current, event):
            continue
        current = evolve(current, event)
        states.append(current)
    return states


def states_after(events: Iterable[ExecutionEvent], sequence: int) -> list[ExecutionState]:
    """What a client that has seen up to `sequence` missed."""
    return [state for state in states_through(events) if state.sequence > sequence]
