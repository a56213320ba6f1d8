from datetime import timedelta

import pytest

from contracts.events import Outcome
from projections.state import InvalidTransition, Status, evolve, is_duplicate
from tests.events import T0, cancel_requested, completed, created, given, progressed, started


def test_created_is_pending_with_the_pipeline_snapshot() -> None:
    state = given(created(handler_type="language_model"))
    assert state.status is Status.PENDING
    assert state.sequence == 1
    assert state.pipeline_handler_type == "language_model"
    assert state.created_at == T0
    assert state.started_at is None and state.progress_pct == 0


def test_started_runs_and_records_the_handler_output() -> None:
    state = given(created(), started())
    assert state.status is Status.RUNNING
    assert state.started_at == T0 + timedelta(seconds=2)
    assert state.handler_output == {"handlerType": "no_op"}


def test_progress_never_decreases_but_message_follows() -> None:
    state = given(created(), started(), progressed(3, 50, "half"), progressed(4, 20, "resumed"))
    assert state.progress_pct == 50
    assert state.progress_message == "resumed"
    assert state.sequence == 4


def test_succeeded_is_complete_at_100_percent() -> None:
    state = given(created(), started(), progressed(3, 80), completed(4))
    assert state.status is Status.SUCCEEDED
    assert (state.progress_pct, state.progress_message) == (100, "Complete")
    assert state.output == {"summary": "done"}
    assert state.completed_at is not None


def test_failed_keeps_the_progress_it_reached() -> None:
    state = given(created(), started(), progressed(3, 50, "Processing"), completed(4, Outcome.FAILED, error="boom"))
    assert state.status is Status.FAILED
    assert (state.progress_pct, state.progress_message, state.error_message) == (50, "Processing", "boom")


def test_pending_can_be_cancelled_before_it_starts() -> None:
    state = given(created(), cancel_requested(), completed(2, Outcome.CANCELLED))
    assert state.status is Status.CANCELLED
    assert state.started_at is None


def test_cancel_request_is_unsequenced_and_changes_no_status() -> None:
    before = given(created(), started())
    after = evolve(before, cancel_requested())
    assert after.status is Status.RUNNING
    assert after.sequence == before.sequence
    assert after.cancel_requested_at is not None
    assert "cancelRequestedAt" not in after.to_api()


@pytest.mark.parametrize(
    "events",
    [
        [started()],
        [created(), created()],
        [created(), progressed(2, 10)],
        [created(), started(), started(3)],
        [created(), started(), completed(3), completed(4)],
        [created(), started(), completed(3), progressed(4, 10)],
    ],
)
def test_impossible_transitions_are_rejected(events: list) -> None:
    with pytest.raises(InvalidTransition):
        given(*events)


def test_a_gap_in_sequence_is_rejected() -> None:
    with pytest.raises(InvalidTransition, match="expected sequence 3"):
        given(created(), started(), progressed(4, 10))


def test_duplicates_are_recognised_by_sequence() -> None:
    state = given(created(), started(), progressed(3, 10))
    assert is_duplicate(state, started())
    assert is_duplicate(state, progressed(3, 10))
    assert not is_duplicate(state, progressed(4, 20))
    assert not is_duplicate(state, cancel_requested())
    assert not is_duplicate(None, created())


def test_api_shape_has_every_field_of_the_reference_document() -> None:
    body = given(created(), started()).to_api()
    expected = {
        "executionId",
        "pipelineId",
        "pipelineName",
        "pipelineHandlerType",
        "pipelineInputsSchema",
        "pipelineOutputsSchema",
        "pipelineConfiguration",
        "status",
        "progressPct",
        "progressMessage",
        "input",
        "output",
        "outputCitations",
        "handlerOutput",
        "errorMessage",
        "createdAt",
        "startedAt",
        "completedAt",
        "createdBy",
    }
    assert expected <= set(body)
    assert body["createdAt"] == "2026-01-15T10:30:00Z"
    assert body["input"] == {"dataInputs": {"query": "q"}, "files": [], "datasets": []}
    assert "tenantId" not in body and "correlationId" not in body
