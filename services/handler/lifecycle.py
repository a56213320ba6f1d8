"""Pure decisions of the handler: the execution's state in, the next event out.

The handler is the single writer of an execution after `Created`, so it
numbers each event from the folded state (`sequence = state.sequence + 1`) and
chains it to the one before (`contracts/chain.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts.chain import chained
from contracts.envelope import envelope_attributes
from contracts.events import (
    CompletedData,
    ExecutionCompleted,
    ExecutionProgressed,
    ExecutionStarted,
    JsonObject,
    Outcome,
    OutputCitation,
    ProgressedData,
    StartedData,
)
from projections.state import ExecutionState

SOURCE = "/handler"


@dataclass(frozen=True)
class EventContext:
    now: datetime
    event_id: str
    actor: str
    causation_id: str | None = None


def _envelope(state: ExecutionState, ctx: EventContext) -> dict[str, Any]:
    return envelope_attributes(
        event_id=ctx.event_id,
        source=SOURCE,
        subject=state.execution_id,
        time=ctx.now,
        sequence=state.sequence + 1,
        tenant_id=state.tenant_id,
        actor=ctx.actor,
        correlation_id=state.correlation_id,
        causation_id=ctx.causation_id,
    )


def start(state: ExecutionState, ctx: EventContext, handler_output: JsonObject | None) -> ExecutionStarted:
    event = ExecutionStarted(**_envelope(state, ctx), data=StartedData(handler_output=handler_output))
    return chained(event, state.chain_hash)


def progress(state: ExecutionState, ctx: EventContext, pct: int, message: str) -> ExecutionProgressed:
    event = ExecutionProgressed(**_envelope(state, ctx), data=ProgressedData(percent=pct, message=message))
    return chained(event, state.chain_hash)


def succeed(
    state: ExecutionState,
    ctx: EventContext,
    output: JsonObject,
    citations: list[OutputCitation],
    handler_output: JsonObject | None,
) -> ExecutionCompleted:
    data = CompletedData(
        outcome=Outcome.SUCCEEDED, output=output, output_citations=citations, handler_output=handler_output
    )
    return chained(ExecutionCompleted(**_envelope(state, ctx), data=data), state.chain_hash)


def fail(state: ExecutionState, ctx: EventContext, error_message: str) -> ExecutionCompleted:
    data = CompletedData(outcome=Outcome.FAILED, error_message=error_message)
    return chained(ExecutionCompleted(**_envelope(state, ctx), data=data), state.chain_hash)


def cancel(state: ExecutionState, ctx: EventContext) -> ExecutionCompleted:
    data = CompletedData(outcome=Outcome.CANCELLED)
    return chained(ExecutionCompleted(**_envelope(state, ctx), data=data), state.chain_hash)
