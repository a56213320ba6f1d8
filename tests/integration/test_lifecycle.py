"""One execution end to end: HTTP -> Kafka -> handler -> Kafka -> SQLite -> HTTP/SSE."""

from __future__ import annotations

import asyncio

from tests.integration.stack import OTHER_KEY, Stack

QUERY = {"query": "What are the key trends in Q4 sales? Revenue grew. Customers doubled."}


async def test_trigger_answers_pending_and_get_never_404s(stack: Stack) -> None:
    created = await stack.trigger("pl_document_summarizer", QUERY)
    assert created["status"] == "pending"
    assert created["pipelineName"] == "Document Summarizer"
    assert created["createdBy"] == "tnt_a/" + created["createdBy"].split("/")[1]
    status, body = await stack.get(created["executionId"])
    assert status == 200
    assert body["executionId"] == created["executionId"]
    assert body["input"]["dataInputs"] == QUERY


async def test_language_model_runs_to_succeeded_with_seed_progress(stack: Stack) -> None:
    created = await stack.trigger("pl_document_summarizer", QUERY)
    final = await stack.wait_terminal(created["executionId"])
    assert final["status"] == "succeeded"
    assert (final["progressPct"], final["progressMessage"]) == (100, "Complete")
    query = QUERY["query"]
    assert final["output"]["keyPoints"]
    for index, cited in enumerate(final["outputCitations"]):
        assert cited["outputPointer"] == f"/keyPoints/{index}"
        (citation,) = cited["citations"]
        assert citation["type"] == "input_character_range" and citation["inputPointer"] == "/dataInputs/query"
        assert query[citation["charStart"] : citation["charEnd"]] == final["output"]["keyPoints"][index]
    assert len(final["outputCitations"]) == len(final["output"]["keyPoints"])
    assert final["handlerOutput"]["handlerType"] == "language_model"
    assert final["handlerOutput"]["trace"]["backend"] == "local-extractive"
    assert final["startedAt"] is not None and final["completedAt"] >= final["startedAt"]
    assert final["sequence"] == 7  # created, started, 4 x progressed, completed


async def test_sse_shows_every_state_in_order_then_completes(stack: Stack) -> None:
    created = await stack.trigger("pl_streaming_summarizer", QUERY)
    events = await stack.sse(created["executionId"])
    states = [e for e in events if e.event == "execution-state"]
    assert events[-1].event == "stream-complete"
    assert events[-1].data["status"] == "succeeded"
    ids = [int(e.id) for e in states]
    assert ids == sorted(ids) and len(set(ids)) == len(ids), "no repeats, in order"
    assert ids[-1] == 7 and ids == list(range(ids[0], 8)), "no gap after the first state"
    assert states[-1].data["status"] == "succeeded"
    messages = [s.data["progressMessage"] for s in states if s.data["status"] == "running"]
    assert "Processing with language model..." in messages
    running = [s for s in states if s.data["status"] == "running"]
    assert running[0].data["handlerOutput"]["streamingChannelId"] == f"ch_{created['executionId']}"
    assert any(e.event == "ping" for e in events), "pings every 0.5 s in tests"


async def test_sse_resumes_after_last_event_id_without_repeats(stack: Stack) -> None:
    created = await stack.trigger("pl_document_summarizer", QUERY)
    await stack.wait_terminal(created["executionId"])
    events = await stack.sse(created["executionId"], headers={"Last-Event-ID": "4"})
    assert [e.id for e in events if e.event == "execution-state"] == ["5", "6", "7"]
    assert events[-1].event == "stream-complete"
    whole = await stack.sse(created["executionId"])
    assert [e.event for e in whole] == ["execution-state", "stream-complete"]


async def test_sse_resumed_past_the_executions_last_event_answers_what_exists(stack: Stack) -> None:
    created = await stack.trigger("pl_document_summarizer", QUERY)
    # While it runs and once it has ended: either way the stream ends with the terminal state.
    for _ in range(2):
        events = await stack.sse(created["executionId"], headers={"Last-Event-ID": "99"}, timeout=30)
        assert events[-1].event == "stream-complete" and events[-1].data["status"] == "succeeded"
        assert [e.event for e in events if e.event != "ping"][-2:] == ["execution-state", "stream-complete"]


async def test_cancel_a_running_execution(stack: Stack) -> None:
    created = await stack.trigger("pl_code_agent", QUERY)
    execution_id = created["executionId"]
    async with asyncio.timeout(30):
        while (await stack.get(execution_id))[1]["status"] != "running":
            await asyncio.sleep(0.02)
    url = f"{stack.base_url}/pipeline-executions/{execution_id}/cancel"
    async with stack.http.post(url, headers=stack.headers()) as resp:
        assert resp.status == 200, await resp.text()
        body = await resp.json()
    assert body["status"] == "cancelled"
    assert body["completedAt"] is not None and body["output"] is None
    await asyncio.sleep(1.5)  # longer than the rest of the pipeline would take
    status, after = await stack.get(execution_id)
    assert after["status"] == "cancelled" and after["sequence"] == body["sequence"], "nothing after the cancel"
    async with stack.http.post(url, headers=stack.headers()) as resp:
        assert resp.status == 409
        assert (await resp.json())["error"] == "ExecutionAlreadyTerminal"


async def test_many_executions_interleave_across_partitions(stack: Stack) -> None:
    pipelines = ["pl_no_op", "pl_document_summarizer", "pl_streaming_summarizer", "pl_code_agent"]
    inputs = [None, QUERY, QUERY, QUERY]  # no_op takes no inputs
    created = await asyncio.gather(*(stack.trigger(pipelines[i % 4], inputs[i % 4]) for i in range(40)))
    finals = await asyncio.gather(*(stack.wait_terminal(c["executionId"]) for c in created))
    assert {f["status"] for f in finals} == {"succeeded"}
    expected_sequence = {"no_op": 3, "language_model": 7, "streaming_language_model": 7, "code_agent_language_model": 7}
    for final in finals:
        assert final["sequence"] == expected_sequence[final["pipelineHandlerType"]]
    async with stack.http.get(f"{stack.base_url}/pipeline-executions?pageSize=100", headers=stack.headers()) as resp:
        listing = await resp.json()
    assert listing["total"] == 40
    times = [item["createdAt"] for item in listing["data"]]
    assert times == sorted(times, reverse=True), "newest first"


async def test_list_filters_and_pages(stack: Stack) -> None:
    for _ in range(3):
        await stack.trigger("pl_no_op")
    await stack.trigger("pl_document_summarizer", QUERY)
    url = f"{stack.base_url}/pipeline-executions"
    async with stack.http.get(
        url, params={"pipelineId": "pl_no_op", "page": "2", "pageSize": "2"}, headers=stack.headers()
    ) as resp:
        body = await resp.json()
    assert (body["total"], len(body["data"]), body["page"]) == (3, 1, 2)
    assert {item["pipelineId"] for item in body["data"]} == {"pl_no_op"}


async def test_another_tenant_sees_nothing(stack: Stack) -> None:
    created = await stack.trigger("pl_no_op")
    execution_id = created["executionId"]
    status, body = await stack.get(execution_id, key=OTHER_KEY)
    assert (status, body["error"]) == (404, "NotFound")
    for method, path in [
        ("POST", f"/pipeline-executions/{execution_id}/cancel"),
        ("GET", f"/pipeline-executions/{execution_id}/stream"),
    ]:
        async with stack.http.request(method, stack.base_url + path, headers=stack.headers(OTHER_KEY)) as resp:
            assert resp.status == 404
    async with stack.http.get(f"{stack.base_url}/pipeline-executions", headers=stack.headers(OTHER_KEY)) as resp:
        assert (await resp.json())["total"] == 0


async def test_code_agent_runs_its_configured_steps_in_the_sandbox(stack: Stack) -> None:
    created = await stack.trigger("pl_code_agent", {"query": "count these four words"})
    final = await stack.wait_terminal(created["executionId"])
    assert final["status"] == "succeeded", final["errorMessage"]
    assert final["output"] == {"result": {"words": 4, "characters": 22, "longest": "count"}}
    assert [s["step"] for s in final["handlerOutput"]["steps"]] == ["tokenize", "count"]
