"""Builders for events, so tests read like the domain: given(created, started)..."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from contracts.events import (
    CancellationRequestedData,
    CompletedData,
    CreatedData,
    ExecutionCancellationRequested,
    ExecutionCompleted,
    ExecutionCreated,
    ExecutionEvent,
    ExecutionInput,
    ExecutionProgressed,
    ExecutionStarted,
    Outcome,
    PipelineSnapshot,
    ProgressedData,
    StartedData,
)
from projections.state import ExecutionState, evolve

T0 = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)
EXECUTION = "exec-1"
TENANT = "tnt_a"


def _common(sequence: int | None, seconds: float, execution_id: str) -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "source": "/tests",
        "subject": execution_id,
        "time": T0 + timedelta(seconds=seconds),
        "sequence": sequence,
        "tenantid": TENANT,
        "actor": "tests",
        "correlationid": "corr-1",
    }


def created(execution_id: str = EXECUTION, handler_type: str = "no_op", seconds: float = 0) -> ExecutionCreated:
    pipeline = PipelineSnapshot(
        pipeline_id="pl_1",
        pipeline_name="Demo",
        pipeline_handler_type=handler_type,
        pipeline_inputs_schema={"dataInputs": []},
        pipeline_outputs_schema={"dataInputs": []},
        pipeline_configuration={},
    )
    data = CreatedData(
        execution_id=execution_id,
        pipeline=pipeline,
        input=ExecutionInput(data_inputs={"query": "q"}),
        created_by="tnt_a/key_1",
    )
    return ExecutionCreated(**_common(1, seconds, execution_id), data=data)  # type: ignore[arg-type]


def started(sequence: int = 2, execution_id: str = EXECUTION) -> ExecutionStarted:
    return ExecutionStarted(**_common(sequence, 2, execution_id), data=StartedData())  # type: ignore[arg-type]


def progressed(sequence: int, pct: int, message: str = "working", execution_id: str = EXECUTION) -> ExecutionProgressed:
    data = ProgressedData(percent=pct, message=message)
    return ExecutionProgressed(**_common(sequence, 3 + sequence, execution_id), data=data)  # type: ignore[arg-type]


def completed(
    sequence: int, outcome: Outcome = Outcome.SUCCEEDED, execution_id: str = EXECUTION, error: str | None = None
) -> ExecutionCompleted:
    data = CompletedData(
        outcome=outcome, output={"summary": "done"} if outcome is Outcome.SUCCEEDED else None, error_message=error
    )
    return ExecutionCompleted(**_common(sequence, 60, execution_id), data=data)  # type: ignore[arg-type]


def cancel_requested(execution_id: str = EXECUTION) -> ExecutionCancellationRequested:
    data = CancellationRequestedData(reason="test")
    return ExecutionCancellationRequested(**_common(None, 30, execution_id), data=data)  # type: ignore[arg-type]


def given(*events: ExecutionEvent) -> ExecutionState:
    state: ExecutionState | None = None
    for event in events:
        state = evolve(state, event)
    assert state is not None
    return state
