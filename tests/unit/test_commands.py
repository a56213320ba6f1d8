import pytest

from contracts.api import TriggerRequest
from contracts.events import ExecutionInput, Outcome
from projections.state import Status, evolve
from services.catalog import demo_catalog
from services.gateway.auth import Keyring, Principal
from services.gateway.commands import (
    AlreadyTerminal,
    CommandContext,
    InvalidInput,
    decide_cancel,
    decide_trigger,
    request_fingerprint,
)
from services.gateway.errors import ApiError
from tests.events import T0, completed, created, given, started

CTX = CommandContext(principal=Principal("tnt_a", "key_1"), now=T0, event_id="ev-1", correlation_id="corr-9")


def test_trigger_snapshots_the_pipeline_and_names_the_caller() -> None:
    pipeline = demo_catalog().get("pl_document_summarizer")
    assert pipeline is not None
    request = TriggerRequest(input=ExecutionInput(data_inputs={"query": "Q4 trends?"}))
    event = decide_trigger(pipeline, request, "exec-9", CTX)
    assert (event.sequence, event.subject, event.tenantid, event.time) == (1, "exec-9", "tnt_a", T0)
    assert event.data.pipeline.pipeline_name == "Document Summarizer"
    assert event.data.created_by == "tnt_a/key_1"
    state = evolve(None, event)
    assert state.status is Status.PENDING and state.correlation_id == "corr-9"


def test_trigger_without_a_required_input_is_refused() -> None:
    pipeline = demo_catalog().get("pl_document_summarizer")
    assert pipeline is not None
    with pytest.raises(InvalidInput) as caught:
        decide_trigger(pipeline, TriggerRequest(), "exec-9", CTX)
    assert caught.value.problems == [{"field": "input.dataInputs.query", "problem": "required"}]


@pytest.mark.parametrize(
    ("data_inputs", "problem"),
    [
        ({"query": 5}, "5 is not of type 'string'"),
        ({"query": "q", "extra": 1}, "not an input of this pipeline"),
    ],
)
def test_trigger_input_is_checked_against_the_inputs_schema(data_inputs: dict, problem: str) -> None:
    pipeline = demo_catalog().get("pl_document_summarizer")
    assert pipeline is not None
    request = TriggerRequest(input=ExecutionInput(data_inputs=data_inputs))
    with pytest.raises(InvalidInput) as caught:
        decide_trigger(pipeline, request, "exec-9", CTX)
    assert [p["problem"] for p in caught.value.problems] == [problem]


def test_cancel_of_a_live_execution_is_a_request() -> None:
    event = decide_cancel(given(created(), started()), CTX)
    assert event.type == "execution.cancellation_requested.v1"
    assert event.sequence is None and event.subject == "exec-1"


def test_cancel_of_a_finished_execution_is_refused() -> None:
    with pytest.raises(AlreadyTerminal):
        decide_cancel(given(created(), started(), completed(3, Outcome.FAILED)), CTX)


def test_keys_are_checked_by_hash_and_map_to_their_tenant() -> None:
    keyring = Keyring.from_plain({"secret-a": "tnt_a"})
    principal = keyring.authenticate("Bearer secret-a")
    assert principal.tenant_id == "tnt_a"
    assert "secret-a" not in principal.key_id
    for header in (None, "", "Bearer", "Basic secret-a", "Bearer wrong"):
        with pytest.raises(ApiError) as caught:
            keyring.authenticate(header)
        assert caught.value.status == 401


def test_fingerprint_ignores_key_order_but_not_content() -> None:
    a = TriggerRequest.model_validate_json('{"input": {"dataInputs": {"query": "q", "n": "1"}}}')
    b = TriggerRequest.model_validate_json('{"input": {"dataInputs": {"n": "1", "query": "q"}}}')
    c = TriggerRequest.model_validate_json('{"input": {"dataInputs": {"query": "other"}}}')
    assert request_fingerprint("pl_1", a) == request_fingerprint("pl_1", b)
    assert request_fingerprint("pl_1", a) != request_fingerprint("pl_1", c)
    assert request_fingerprint("pl_1", a) != request_fingerprint("pl_2", a)


def test_the_idempotency_key_travels_on_the_created_event() -> None:
    pipeline = demo_catalog().get("pl_no_op")
    assert pipeline is not None
    ctx = CommandContext(Principal("tnt_a", "key_1"), T0, "ev-1", "corr-1", idempotency_key="retry-1")
    event = decide_trigger(pipeline, TriggerRequest(), "exec-9", ctx)
    assert event.data.idempotency_key == "retry-1"
    assert event.data.request_fingerprint == request_fingerprint("pl_no_op", TriggerRequest())
    plain = decide_trigger(pipeline, TriggerRequest(), "exec-9", CTX)
    assert plain.data.idempotency_key is None and plain.data.request_fingerprint is None
