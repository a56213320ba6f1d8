"""Promoting succeeded executions to examples, in new or existing sets, per tenant."""

from __future__ import annotations

from tests.integration.stack import OTHER_KEY, Stack

QUERY = {"query": "Revenue grew. Customers doubled."}


async def promote(stack: Stack, execution_id: str, body: dict, key: str | None = None) -> tuple[int, dict]:
    url = f"{stack.base_url}/pipeline-executions/{execution_id}/promote-to-example"
    async with stack.http.post(url, json=body, headers=stack.headers(key) if key else stack.headers()) as resp:
        return resp.status, await resp.json()


async def test_a_succeeded_execution_becomes_an_example_in_a_new_then_an_existing_set(stack: Stack) -> None:
    first = await stack.wait_terminal((await stack.trigger("pl_document_summarizer", QUERY))["executionId"])
    second = await stack.wait_terminal((await stack.trigger("pl_no_op"))["executionId"])
    new_set = {"name": "Production Examples", "description": "Verified examples"}
    status, made = await promote(
        stack, first["executionId"], {"newExampleSet": new_set, "exampleName": "Verified", "rationale": "Checked"}
    )
    assert status == 201, made
    body = {"existingExampleSetId": made["exampleSetId"], "exampleName": "Second"}
    status, again = await promote(stack, second["executionId"], body)
    assert status == 201 and again["exampleSetId"] == made["exampleSetId"]

    async with stack.http.get(f"{stack.base_url}/example-sets/{made['exampleSetId']}", headers=stack.headers()) as r:
        example_set = await r.json()
    assert (example_set["name"], example_set["exampleCount"]) == ("Production Examples", 2)
    kept = example_set["examples"][0]
    assert (kept["name"], kept["rationale"], kept["executionId"]) == ("Verified", "Checked", first["executionId"])
    assert kept["input"]["dataInputs"] == QUERY and kept["output"] == first["output"]
    async with stack.http.get(f"{stack.base_url}/example-sets", headers=stack.headers(OTHER_KEY)) as r:
        assert (await r.json())["data"] == [], "another tenant sees no sets"
    async with stack.http.get(
        f"{stack.base_url}/example-sets/{made['exampleSetId']}", headers=stack.headers(OTHER_KEY)
    ) as r:
        assert r.status == 404


async def test_only_succeeded_executions_into_the_tenants_own_sets(stack: Stack) -> None:
    running = await stack.trigger("pl_code_agent", {"query": "stop me"})
    status, _ = await stack.post(f"/pipeline-executions/{running['executionId']}/cancel", {})
    ended = await stack.wait_terminal(running["executionId"])
    assert (status, ended["status"]) in {(200, "cancelled"), (202, "cancelled")}
    status, body = await promote(stack, ended["executionId"], {"newExampleSet": {"name": "x"}, "exampleName": "n"})
    assert (status, body["error"]) == (409, "ExecutionNotSucceeded")

    done = await stack.wait_terminal((await stack.trigger("pl_no_op"))["executionId"])
    status, body = await promote(stack, done["executionId"], {"existingExampleSetId": "exset_nope", "exampleName": "n"})
    assert (status, body["error"]) == (404, "NotFound")
    both = {"existingExampleSetId": "a", "newExampleSet": {"name": "b"}, "exampleName": "n"}
    assert (await promote(stack, done["executionId"], both))[0] == 422
    assert (await promote(stack, done["executionId"], {"newExampleSet": {"name": "b"}}))[0] == 422
    status, _ = await promote(
        stack, done["executionId"], {"newExampleSet": {"name": "b"}, "exampleName": "n"}, OTHER_KEY
    )
    assert status == 404, "another tenant's execution"
