"""Every route that takes an id, tried with another tenant's ids: always 404, never the data."""

from __future__ import annotations

import asyncio
import json

from tests.integration.stack import OTHER_KEY, Stack


async def test_every_id_route_hides_another_tenants_resources(stack: Stack) -> None:
    execution = await stack.trigger("pl_streaming_summarizer", {"query": "Private. Numbers grew."})
    final = await stack.wait_terminal(execution["executionId"])
    execution_id, channel = final["executionId"], final["handlerOutput"]["streamingChannelId"]
    promote_body = {"newExampleSet": {"name": "Mine"}, "exampleName": "e"}
    async with stack.http.post(
        f"{stack.base_url}/pipeline-executions/{execution_id}/promote-to-example", json=promote_body,
        headers=stack.headers(),
    ) as resp:  # fmt: skip
        example_set_id = (await resp.json())["exampleSetId"]
    async with stack.http.post(
        f"{stack.base_url}/pipelines", json={"name": "Mine", "handlerType": "no_op"}, headers=stack.headers()
    ) as resp:
        pipeline_id = (await resp.json())["pipelineId"]
    async with stack.http.post(
        f"{stack.base_url}/v1/generate", json={"input": "45.77.12.9 T1071"}, headers=stack.headers()
    ) as resp:
        arn = (await resp.json())["data"]["executionArn"]
    _, uploaded = await stack.upload("private.txt", b"Private. Numbers grew.")
    citation = {"type": "pdf_character_range", "pdfFileExtractionId": uploaded["extractionId"], "charStart": 0,
                "charEnd": 8}  # fmt: skip

    routes = [
        ("GET", f"/pipeline-executions/{execution_id}", None),
        ("POST", f"/pipeline-executions/{execution_id}/cancel", None),
        ("GET", f"/pipeline-executions/{execution_id}/stream", None),
        ("GET", f"/pipeline-executions/{execution_id}/events", None),
        ("GET", f"/pipeline-executions/{execution_id}?asOf=1", None),
        ("POST", f"/pipeline-executions/{execution_id}/promote-to-example", promote_body),
        ("GET", f"/channels/{channel}/stream", None),
        ("GET", f"/example-sets/{example_set_id}", None),
        ("GET", f"/pipelines/{pipeline_id}", None),
        ("POST", f"/pipelines/{pipeline_id}/trigger", {}),
        ("GET", f"/v1/status/{arn}", None),
        ("GET", f"/files/{uploaded['fileId']}", None),
        ("POST", "/citations/resolve", {"citations": [citation]}),
    ]

    async def as_other(method: str, path: str, body: dict | None) -> tuple[str, int, str]:
        headers = stack.headers(OTHER_KEY)
        async with stack.http.request(method, stack.base_url + path, json=body, headers=headers) as resp:
            return path, resp.status, await resp.text()

    for path, status, text in await asyncio.gather(*(as_other(*route) for route in routes)):
        assert status == 404, (path, status, text)
        assert json.loads(text)["error"] == "NotFound", path
        assert "Private" not in text and "Numbers" not in text, "nothing of the execution or file leaks"
    lists = ["/pipeline-executions", "/example-sets", "/v1/executions"]
    for path in lists:
        async with stack.http.get(stack.base_url + path, headers=stack.headers(OTHER_KEY)) as resp:
            text = await resp.text()
        assert execution_id not in text and example_set_id not in text, path
