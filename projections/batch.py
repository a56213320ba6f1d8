"""Folding one batch of log records into read-model changes, without I/O."""

from __future__ import annotations

from dataclasses import dataclass, field

from contracts.events import ExecutionEvent, ExecutionPromotedToExample
from projections.state import ExecutionState, InvalidTransition, evolve, is_duplicate


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """An event with where it sits in the log."""

    event: ExecutionEvent
    topic: str
    partition: int
    offset: int
    value: bytes
    """The record's bytes as they are on the log, kept verbatim in the history."""


@dataclass(frozen=True, slots=True)
class Step:
    """One event's effect on one execution: its state before (None if new) and after."""

    before: ExecutionState | None
    after: ExecutionState


@dataclass
class FoldedBatch:
    states: dict[str, ExecutionState]
    """Latest state of every execution the batch touched."""
    history: list[LoggedEvent] = field(default_factory=list)
    """Lifecycle events newly folded, in log order."""
    steps: list[Step] = field(default_factory=list)
    """Each newly folded event that changed a state, in log order (for live streams and projections)."""
    rejected: list[tuple[LoggedEvent, str]] = field(default_factory=list)
    promotions: list[LoggedEvent] = field(default_factory=list)
    """Executions promoted to examples in this batch."""

    @property
    def transitions(self) -> list[ExecutionState]:
        """The state after each newly folded event that changed one, in log order."""
        return [step.after for step in self.steps]

    def changed(self) -> list[ExecutionState]:
        """The latest state of each execution this batch changed."""
        return list({state.execution_id: state for state in self.transitions}.values())


def fold_batch(known: dict[str, ExecutionState], records: list[LoggedEvent]) -> FoldedBatch:
    """Apply `records` to the `known` states; duplicates are skipped, bad ones rejected."""
    folded = FoldedBatch(states=dict(known))
    for record in records:
        event = record.event
        current = folded.states.get(event.subject)
        if is_duplicate(current, event):
            continue
        try:
            new_state = evolve(current, event)
        except InvalidTransition as error:
            folded.rejected.append((record, f"{event.type} cannot be applied: {error}"))
            continue
        folded.states[event.subject] = new_state
        if isinstance(event, ExecutionPromotedToExample):
            folded.promotions.append(record)
        if new_state is not current:
            folded.steps.append(Step(current, new_state))
        if event.sequence is not None:
            folded.history.append(record)
    return folded
