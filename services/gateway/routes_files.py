"""Files: upload (text extracted at once), read back, and resolve citations into them."""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import replace
from typing import Any

from aiohttp import web

from contracts.api import ResolveCitationsRequest
from contracts.codec import encode
from contracts.events import Citation, InputCitation
from contracts.files import MAX_EVENT_BYTES
from projections.file_store import StoredFile
from services.files.extraction import ExtractionFailed
from services.gateway import keys
from services.gateway.appending import command_context, publish
from services.gateway.auth import principal_of
from services.gateway.commands import CommandContext, Upload, decide_upload, upload_fingerprint
from services.gateway.creation import idempotency_key
from services.gateway.errors import ApiError, not_ready
from services.gateway.execution_lookup import require_execution
from services.gateway.file_lookup import find_extraction, find_file
from services.gateway.requests import read_body
from services.gateway.uploads import read_upload


async def upload_file(request: web.Request) -> web.Response:
    ctx = replace(command_context(request), idempotency_key=idempotency_key(request))
    upload = await read_upload(request, request.app[keys.SETTINGS].max_file_bytes)
    if ctx.idempotency_key is None:
        return await _create(request, upload, ctx)
    tenant_id, key = ctx.principal.tenant_id, ctx.idempotency_key
    await _files_caught_up(request.app)
    async with request.app[keys.KEY_LOCKS].lock(tenant_id, f"file:{key}"):
        earlier = await request.app[keys.FILES].store.find_idempotent(tenant_id, key)
        if earlier is None:
            return await _create(request, upload, ctx)
    fingerprint, file_id = earlier
    if fingerprint != upload_fingerprint(upload):
        raise ApiError(
            422, "IdempotencyKeyReused", "This Idempotency-Key was already used with another file; use a new key."
        )
    stored = await request.app[keys.FILES].store.by_file_id(tenant_id, file_id)
    assert stored is not None  # the key row and the file row are written together
    return web.json_response(stored.to_api(), headers={"Idempotent-Replayed": "true"})


async def _files_caught_up(app: web.Application) -> None:
    try:
        await app[keys.FILES].wait_caught_up(app[keys.SETTINGS].read_your_writes_timeout_s)
    except TimeoutError:
        raise not_ready("still reading the files topic") from None


async def _create(request: web.Request, upload: Upload, ctx: CommandContext) -> web.Response:
    app = request.app
    try:
        extraction = await app[keys.EXTRACTOR].extract(upload.content, upload.media_type)
    except ExtractionFailed as error:
        raise ApiError(422, "UnreadableFile", str(error)) from error
    ids = (f"file_{secrets.token_urlsafe(12)}", f"extr_{secrets.token_urlsafe(12)}")
    event = decide_upload(upload, extraction, ids, ctx)
    size = len(encode(event).value)
    if size > MAX_EVENT_BYTES:
        raise ApiError(
            413,
            "FileTooLarge",
            f"The file's extracted text takes {size} bytes; the limit is {MAX_EVENT_BYTES}. Split the document.",
        )
    metadata = await publish(app, app[keys.FILES_PUBLISHER], event)
    with contextlib.suppress(TimeoutError):  # recorded; this replica's store is just behind
        await app[keys.FILES].wait_for(metadata.offset, app[keys.SETTINGS].read_your_writes_timeout_s)
    stored = StoredFile(event.tenantid, event.time, event.data)
    return web.json_response(stored.to_api(), status=201)


async def get_file(request: web.Request) -> web.Response:
    stored = await find_file(request, request.match_info["file_id"])
    if stored is None:
        raise ApiError(404, "NotFound", "No file with this id.")
    return web.json_response(stored.to_api())


async def resolve_citations(request: web.Request) -> web.Response:
    body = await read_body(request, ResolveCitationsRequest)
    resolved = []
    for index, citation in enumerate(body.citations):
        where = f"citations.{index}"
        if isinstance(citation, InputCitation):
            resolved.append(await _resolve_input(request, body.execution_id, citation, where))
        else:
            resolved.append(await _resolve_file(request, citation, where))
    return web.json_response({"data": resolved})


async def _resolve_file(request: web.Request, citation: Citation, where: str) -> dict[str, Any]:
    stored = await find_extraction(request, citation.pdf_file_extraction_id)
    if stored is None:
        raise ApiError(404, "NotFound", f"{where}: no file extraction with id {citation.pdf_file_extraction_id!r}.")
    data = stored.data
    _check_range(citation.char_start, citation.char_end, len(data.text), where, "the extraction's length")
    return {
        **citation.model_dump(mode="json", by_alias=True),
        "fileId": data.file_id,
        "fileName": data.file_name,
        "pageNumber": data.page_number(citation.char_start),
        "endPageNumber": data.page_number(max(citation.char_start, citation.char_end - 1)),
        "citedText": data.text[citation.char_start : citation.char_end],
    }


async def _resolve_input(
    request: web.Request, execution_id: str | None, citation: InputCitation, where: str
) -> dict[str, Any]:
    """The cited slice of the execution's own input, by its pointer (`/dataInputs/<id>`)."""
    if execution_id is None:
        raise ApiError(422, "InputValidationFailed", f"{where}: an input_character_range needs 'executionId'.")
    state = await require_execution(
        request.app, principal_of(request).tenant_id, execution_id, "execution with this id"
    )
    prefix = "/dataInputs/"
    name = citation.input_pointer.removeprefix(prefix)
    text = state.input.data_inputs.get(name) if citation.input_pointer.startswith(prefix) else None
    if not isinstance(text, str):
        raise ApiError(422, "InputValidationFailed", f"{where}: {citation.input_pointer!r} is no text input of it.")
    _check_range(citation.char_start, citation.char_end, len(text), where, "the input's length")
    return {
        **citation.model_dump(mode="json", by_alias=True),
        "executionId": execution_id,
        "citedText": text[citation.char_start : citation.char_end],
    }


def _check_range(start: int, end: int, length: int, where: str, of: str) -> None:
    if not start <= end <= length:
        raise ApiError(
            422,
            "InputValidationFailed",
            f"{where}: the range must satisfy 0 <= charStart <= charEnd <= {length} ({of}).",
        )


def setup(app: web.Application) -> None:
    app.router.add_post("/files", upload_file)
    app.router.add_get("/files/{file_id}", get_file)
    app.router.add_post("/citations/resolve", resolve_citations)
