"""The /v1 API, including the reference document's own polling loop, unchanged but for the URL."""

from __future__ import annotations

import asyncio

from sigma.collection import SigmaCollection

from tests.integration.stack import API_KEY, OTHER_KEY, Stack
from tests.seeds import v1_polling
from tests.seeds.v1_polling import wait_for_result

REPORT = (
    "Operators used 45.77.12[.]9 and cdn-sync[.]org to deliver dropper.exe "
    "(md5 5d41402abc4b2a76b9719d911017c592), executed via T1204.002 and T1059.003."
)


async def generate(stack: Stack, text: str, key: str = API_KEY) -> str:
    body = {"input": text, "inputType": "text"}
    async with stack.http.post(f"{stack.base_url}/v1/generate", json=body, headers=stack.headers(key)) as resp:
        assert resp.status == 202, await resp.text()
        return (await resp.json())["data"]["executionArn"]


async def test_reference_polling_loop_gets_parseable_sigma_rules(stack: Stack) -> None:
    v1_polling.BASE_URL = stack.base_url
    arn = await generate(stack, REPORT)
    output = await asyncio.to_thread(wait_for_result, arn, API_KEY)
    assert output["ttps"] == ["T1204.002", "T1059.003"]
    assert output["rulesGenerated"] == len(output["rules"]) == 4
    assert output["indicators"]["domains"] == ["cdn-sync.org"]
    collection = SigmaCollection.from_yaml("\n---\n".join(rule["yaml"] for rule in output["rules"]))
    assert len(collection.rules) == 4


async def test_a_report_with_nothing_to_detect_fails_saying_so_through_the_reference_loop(stack: Stack) -> None:
    v1_polling.BASE_URL = stack.base_url
    arn = await generate(stack, "A vague report with no indicators at all.")
    try:
        await asyncio.to_thread(wait_for_result, arn, API_KEY)
    except Exception as error:  # the reference loop raises a bare Exception
        assert str(error).startswith("Input validation failed: found no indicators or ATT&CK techniques to detect")
    else:
        raise AssertionError("expected FAILED")


async def test_status_is_running_until_done_and_history_is_newest_first(stack: Stack) -> None:
    arns = [await generate(stack, f"{REPORT} batch {i}") for i in range(3)]
    async with stack.http.get(f"{stack.base_url}/v1/status/{arns[0]}", headers=stack.headers()) as resp:
        assert (await resp.json())["data"]["status"] in {"RUNNING", "SUCCEEDED"}
    for arn in arns:
        await stack.wait_terminal(arn.rsplit(":", 1)[1])
    async with stack.http.get(f"{stack.base_url}/v1/executions?limit=2", headers=stack.headers()) as resp:
        listing = (await resp.json())["data"]
    assert [item["executionArn"] for item in listing] == arns[::-1][:2]
    assert listing[0] | {"createdAt": None, "completedAt": None} == {
        "executionArn": arns[2],
        "status": "SUCCEEDED",
        "inputType": "text",
        "rulesGenerated": 4,
        "ttpsExtracted": 2,
        "createdAt": None,
        "completedAt": None,
    }


async def test_v1_errors_are_json_and_tenants_are_isolated(stack: Stack) -> None:
    arn = await generate(stack, REPORT)
    cases = [
        ("GET", f"/v1/status/{arn}", None, OTHER_KEY, 404),
        ("GET", "/v1/status/not-an-arn", None, API_KEY, 404),
        ("GET", "/v1/executions?limit=51", None, API_KEY, 400),
        ("POST", "/v1/generate", {"input": ""}, API_KEY, 422),
        ("POST", "/v1/generate", {"input": "x", "inputType": "pdf"}, API_KEY, 422),
    ]
    for method, path, body, key, status in cases:
        async with stack.http.request(method, stack.base_url + path, json=body, headers=stack.headers(key)) as resp:
            assert resp.status == status, (path, await resp.text())
            assert (await resp.json())["error"]
    async with stack.http.get(f"{stack.base_url}/v1/executions", headers=stack.headers(OTHER_KEY)) as resp:
        assert (await resp.json())["data"] == []
