"""Reading a page's form: URL-encoded only (what the pages send), within the body deadline."""

from __future__ import annotations

from aiohttp import web
from multidict import MultiDictProxy

from services.gateway.auth import FORM_TYPE
from services.gateway.errors import ApiError
from services.gateway.requests import body_deadline


async def read_form(request: web.Request) -> MultiDictProxy[str | bytes | bytearray | web.FileField]:
    if request.content_type != FORM_TYPE:
        # Multipart (uploads) goes to POST /files; refusing it here keeps a malformed one from reaching the parser.
        raise ApiError(415, "UnsupportedMediaType", f"Send this form as {FORM_TYPE}.")
    async with body_deadline(request):
        try:
            return await request.post()
        except ValueError as error:
            raise ApiError(400, "BadRequest", f"The form could not be read: {error}") from None
