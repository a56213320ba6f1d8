"""A trigger's `input.files`, checked against the caller's files and written out in full.

Clients may name a file by its file id or its extraction id, as a string or as
`{"fileId": ...}` / `{"extractionId": ...}`; the Created event always records
`{"fileId", "extractionId", "fileName"}`, so the handler needs no lookup by file id.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from contracts.api import TriggerRequest
from projections.file_store import StoredFile
from services.gateway.errors import ApiError
from services.gateway.file_lookup import find_extraction, find_file

MAX_FILES = 20
SHAPE = 'a file id, an extraction id, or {"fileId": ...} / {"extractionId": ...}'


async def with_resolved_files(request: web.Request, body: TriggerRequest) -> TriggerRequest:
    given = body.input.files
    if not given:
        return body
    if len(given) > MAX_FILES:
        raise ApiError(422, "InputValidationFailed", f"At most {MAX_FILES} files per execution.")
    refs, problems = [], []
    for index, item in enumerate(given):
        stored = await _lookup(request, item)
        if stored is None:
            problems.append({"field": f"input.files.{index}", "problem": f"no file of yours matches; give {SHAPE}"})
            continue
        refs.append(_ref(stored))
    if problems:
        raise ApiError(422, "InputValidationFailed", "Input validation failed: unknown files.", problems)
    return body.model_copy(update={"input": body.input.model_copy(update={"files": refs})})


def _ref(stored: StoredFile) -> dict[str, str]:
    data = stored.data
    return {"fileId": data.file_id, "extractionId": data.extraction_id, "fileName": data.file_name}


async def _lookup(request: web.Request, item: Any) -> StoredFile | None:
    if isinstance(item, dict) and len(item) >= 1:
        file_id, extraction_id = item.get("fileId"), item.get("extractionId")
        if isinstance(file_id, str) and extraction_id is None:
            return await find_file(request, file_id)
        if isinstance(extraction_id, str):
            found = await find_extraction(request, extraction_id)
            return found if found is not None and file_id in (None, found.data.file_id) else None
        return None
    if isinstance(item, str) and item.startswith("extr_"):
        return await find_extraction(request, item)
    if isinstance(item, str):
        return await find_file(request, item)
    return None
