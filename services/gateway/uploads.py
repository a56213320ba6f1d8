"""Reading one uploaded file out of a multipart request, within a size limit."""

from __future__ import annotations

import posixpath

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from services.files.extraction import ExtractionFailed, media_type_of
from services.gateway.commands import Upload
from services.gateway.errors import ApiError
from services.gateway.requests import body_deadline

FIELD = "file"
CHUNK = 64 * 1024
MAX_NAME = 255
HOW = "Send the file as multipart/form-data in a part named 'file', e.g. curl -F file=@report.pdf"


async def read_upload(request: web.Request, max_bytes: int) -> Upload:
    if request.content_type != "multipart/form-data":
        raise ApiError(415, "UnsupportedMediaType", f"{HOW}.")
    try:
        async with body_deadline(request):
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if isinstance(part, BodyPartReader) and part.name == FIELD:
                    return _upload(part, await _content(part, max_bytes))
                if isinstance(part, BodyPartReader):
                    await part.release()
    except (ValueError, AssertionError, HttpProcessingError) as error:  # aiohttp's ways of saying "malformed"
        raise ApiError(400, "BadRequest", f"Malformed multipart body. {HOW}.") from error
    raise ApiError(422, "InputValidationFailed", f"No part named 'file'. {HOW}.")


async def _content(part: BodyPartReader, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise ApiError(413, "FileTooLarge", f"The file is larger than {max_bytes} bytes; upload a smaller one.")
        chunks.append(chunk)
    if not size:
        raise ApiError(422, "InputValidationFailed", "The file is empty.")
    return b"".join(chunks)


def _upload(part: BodyPartReader, content: bytes) -> Upload:
    name = posixpath.basename((part.filename or "upload").replace("\\", "/")).strip() or "upload"
    try:
        media_type = media_type_of(content, part.headers.get("Content-Type"))
    except ExtractionFailed as error:
        raise ApiError(422, "UnreadableFile", str(error)) from error
    return Upload(name[:MAX_NAME], media_type, content)
