"""Files: upload, extraction, pipelines reading them, citations resolved into pages and text."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import aiohttp

from infra.kafka.launcher import free_port
from tests.documents import QUARTERLY_REPORT, make_pdf
from tests.integration.stack import OTHER_KEY, Stack, running_gateway, running_stack


async def test_a_pdf_summary_cites_pages_that_resolve_to_the_cited_text(stack: Stack) -> None:
    status, uploaded = await stack.upload("q4-report.pdf", make_pdf(QUARTERLY_REPORT), "application/pdf")
    assert status == 201, uploaded
    assert (uploaded["fileName"], uploaded["mediaType"], uploaded["pageCount"]) == (
        "q4-report.pdf",
        "application/pdf",
        3,
    )
    assert uploaded["extractionId"].startswith("extr_") and uploaded["characterCount"] > 100

    body = {"input": {"dataInputs": {"query": "How did sales revenue grow?"}, "files": [uploaded["fileId"]]}}
    status, created = await stack.post("/pipelines/pl_document_summarizer/trigger", body)
    assert status == 201, created
    assert created["input"]["files"] == [
        {"fileId": uploaded["fileId"], "extractionId": uploaded["extractionId"], "fileName": "q4-report.pdf"}
    ]
    final = await stack.wait_terminal(created["executionId"])
    assert final["status"] == "succeeded", final
    assert final["handlerOutput"]["trace"]["files"] == 1
    cited = [c for entry in final["outputCitations"] for c in entry["citations"]]
    assert cited and {c["type"] for c in cited} == {"pdf_character_range"}
    assert {c["pdfFileExtractionId"] for c in cited} == {uploaded["extractionId"]}

    status, resolved = await stack.post("/citations/resolve", {"citations": cited})
    assert status == 200, resolved
    by_text = {r["citedText"]: r for r in resolved["data"]}
    assert "Q4 sales revenue grew 15 percent year over year." in by_text, "the query steers the summary"
    sales = by_text["Q4 sales revenue grew 15 percent year over year."]
    assert (sales["fileName"], sales["pageNumber"], sales["fileId"]) == ("q4-report.pdf", 2, uploaded["fileId"])
    key_points = final["output"]["keyPoints"]
    for entry in final["outputCitations"]:
        index = int(entry["outputPointer"].rsplit("/", 1)[1])
        texts = [r["citedText"] for r in resolved["data"] if r["charStart"] == entry["citations"][0]["charStart"]]
        assert key_points[index] in texts, "each key point is the text its citation resolves to"


async def test_a_text_file_is_read_by_the_summarizer_and_its_file_can_be_named_by_extraction_id(stack: Stack) -> None:
    text = "Churn fell to 2 percent in March. The cafeteria menu changed. Churn fell because support answered faster."
    status, uploaded = await stack.upload("notes.txt", text.encode())
    assert status == 201 and uploaded["pageCount"] == 1 and uploaded["characterCount"] == len(text)
    body = {
        "input": {"dataInputs": {"query": "Why did churn fall?"}, "files": [{"extractionId": uploaded["extractionId"]}]}
    }
    status, created = await stack.post("/pipelines/pl_streaming_summarizer/trigger", body)
    assert status == 201, created
    final = await stack.wait_terminal(created["executionId"])
    assert final["status"] == "succeeded", final
    for entry in final["outputCitations"]:
        (citation,) = entry["citations"]
        assert text[citation["charStart"] : citation["charEnd"]] in final["output"]["keyPoints"]


async def test_files_are_the_uploading_tenants_alone(stack: Stack) -> None:
    status, mine = await stack.upload("secret.txt", b"Private plans. The merger closes in May.")
    assert status == 201
    async with stack.http.get(f"{stack.base_url}/files/{mine['fileId']}", headers=stack.headers()) as resp:
        assert resp.status == 200 and (await resp.json()) == mine
    async with stack.http.get(f"{stack.base_url}/files/{mine['fileId']}", headers=stack.headers(OTHER_KEY)) as resp:
        assert resp.status == 404 and (await resp.json())["error"] == "NotFound"
    citation = {
        "type": "pdf_character_range",
        "pdfFileExtractionId": mine["extractionId"],
        "charStart": 0,
        "charEnd": 7,
    }
    status, body = await stack.post("/citations/resolve", {"citations": [citation]}, key=OTHER_KEY)
    assert (status, body["error"]) == (404, "NotFound") and "Private" not in str(body)
    trigger = {"input": {"dataInputs": {"query": "merger?"}, "files": [mine["fileId"]]}}
    status, body = await stack.post("/pipelines/pl_document_summarizer/trigger", trigger, key=OTHER_KEY)
    assert (status, body["details"][0]["field"]) == (422, "input.files.0"), body
    status, body = await stack.post("/pipelines/pl_document_summarizer/trigger", {"input": {"files": ["file_nope"]}})
    assert status == 422 and body["details"][0]["field"] == "input.files.0"


async def test_bad_uploads_and_citations_get_errors_that_say_what_to_fix(stack: Stack) -> None:
    async with stack.http.post(f"{stack.base_url}/files", data=b"%PDF-", headers=stack.headers()) as resp:
        assert resp.status == 415 and "multipart/form-data" in (await resp.json())["message"]
    status, body = await stack.upload("empty.txt", b"")
    assert (status, body["error"]) == (422, "InputValidationFailed")
    status, body = await stack.upload("fake.pdf", b"%PDF-1.7 this is not really a PDF", "application/pdf")
    assert (status, body["error"]) == (422, "UnreadableFile"), body
    status, body = await stack.upload("fake.pdf", b"plain words", "application/pdf")
    assert (status, body["error"]) == (422, "UnreadableFile") and "%PDF-" in body["message"]
    status, body = await stack.upload("latin1.txt", "café".encode("latin-1"))
    assert (status, body["error"]) == (422, "UnreadableFile") and "UTF-8" in body["message"]

    status, uploaded = await stack.upload("short.txt", b"Short text.")
    assert status == 201
    beyond = {
        "type": "pdf_character_range",
        "pdfFileExtractionId": uploaded["extractionId"],
        "charStart": 2,
        "charEnd": 99,
    }
    status, body = await stack.post("/citations/resolve", {"citations": [beyond]})
    assert status == 422 and "citations.0" in body["message"] and "11" in body["message"]
    status, body = await stack.post("/citations/resolve", {"citations": []})
    assert status == 422 and body["details"][0]["field"] == "citations"


async def test_large_files_travel_whole_and_oversized_ones_are_refused(kafka_servers: str, tmp_path: Path) -> None:
    overrides = {"max_file_bytes": 6 * 1024 * 1024}
    async with running_stack(kafka_servers, tmp_path, gateway_overrides=overrides) as stack:
        sentence = "Large reports repeat their findings many times over. "
        big = (sentence * (2_500_000 // len(sentence))).encode()  # 2.5 MB: over Kafka's default 1 MB record
        status, uploaded = await stack.upload("big.txt", big)
        assert status == 201, uploaded
        assert uploaded["characterCount"] == len(big)
        body = {"input": {"dataInputs": {"query": "findings"}, "files": [uploaded["fileId"]]}}
        status, created = await stack.post("/pipelines/pl_document_summarizer/trigger", body)
        final = await stack.wait_terminal(created["executionId"])
        assert final["status"] == "succeeded", final
        assert final["handlerOutput"]["trace"]["inputChars"] == len(big)

        status, body = await stack.upload("huge.txt", b"x" * (5 * 1024 * 1024))
        assert (status, body["error"]) == (413, "FileTooLarge") and "Split" in body["message"]
        status, body = await stack.upload("too-big.txt", b"x" * (7 * 1024 * 1024))
        assert (status, body["error"]) == (413, "FileTooLarge")


async def test_a_new_gateway_replica_rebuilds_its_files_from_the_topic(stack: Stack, tmp_path: Path) -> None:
    status, uploaded = await stack.upload("kept.txt", b"Everything on the log is kept. Nothing is lost.")
    assert status == 201
    settings = replace(stack.gateway_settings, port=free_port(), instance_id="gateway-2", data_dir=tmp_path / "g2")
    async with running_gateway(settings):
        url = f"http://{settings.host}:{settings.port}"
        async with stack.http.get(f"{url}/files/{uploaded['fileId']}", headers=stack.headers()) as resp:
            assert resp.status == 200 and (await resp.json()) == uploaded
        citation = {"type": "pdf_character_range", "pdfFileExtractionId": uploaded["extractionId"],
                    "charStart": 31, "charEnd": 47}  # fmt: skip
        async with stack.http.post(
            f"{url}/citations/resolve", json={"citations": [citation]}, headers=stack.headers()
        ) as resp:
            resolved = (await resp.json())["data"][0]
        assert (resolved["citedText"], resolved["pageNumber"]) == ("Nothing is lost.", 1)


async def test_a_retried_upload_with_the_same_idempotency_key_returns_the_same_file(stack: Stack) -> None:
    async def upload(key: str, content: bytes) -> tuple[int, dict, str | None]:
        form = aiohttp.FormData()
        form.add_field("file", content, filename="retry.txt", content_type="text/plain")
        headers = {**stack.headers(), "Idempotency-Key": key}
        async with stack.http.post(f"{stack.base_url}/files", data=form, headers=headers) as resp:
            return resp.status, await resp.json(), resp.headers.get("Idempotent-Replayed")

    first, again = await asyncio.gather(upload("up-1", b"Same bytes."), upload("up-1", b"Same bytes."))
    assert sorted([first[0], again[0]]) == [200, 201] and first[1]["fileId"] == again[1]["fileId"]
    assert "true" in (first[2], again[2])
    status, body, _ = await upload("up-1", b"Other bytes.")
    assert (status, body["error"]) == (422, "IdempotencyKeyReused")
    status, other, _ = await upload("up-2", b"Same bytes.")
    assert status == 201 and other["fileId"] != first[1]["fileId"], "a new key is a new file"
