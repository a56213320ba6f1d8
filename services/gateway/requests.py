"""Reading request parts into typed values, with 4xx errors that say what to fix."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from services.gateway import keys
from services.gateway.errors import ApiError

Model = TypeVar("Model", bound=BaseModel)


async def read_body(request: web.Request, model: type[Model]) -> Model:
    async with body_deadline(request):
        raw = await request.read()
    try:
        return model.model_validate_json(raw) if raw.strip() else model.model_validate({})
    except ValidationError as error:
        raise invalid_body(error) from error


@asynccontextmanager
async def body_deadline(request: web.Request) -> AsyncIterator[None]:
    """A client that sends its body slowly gets a 408, instead of holding its connection open."""
    if request.content.is_eof():  # all of it arrived with the headers: there is no wait to bound
        yield
        return
    seconds = request.app[keys.SETTINGS].body_timeout_s
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError:
        raise ApiError(
            408,
            "RequestTimeout",
            f"The request body did not arrive within {seconds:g} s.",
            headers={"Connection": "close"},
        ) from None


def invalid_body(error: ValidationError) -> ApiError:
    details = []
    for item in error.errors():
        if item["type"] == "json_invalid":
            return ApiError(400, "BadRequest", f"Body is not valid JSON: {item['msg']}")
        field = ".".join(str(part) for part in item["loc"]) or "body"
        details.append({"field": field, "problem": item["msg"]})
    return ApiError(422, "InputValidationFailed", "The request body does not match the expected shape.", details)


def int_query(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ApiError(400, "BadRequest", f"Query parameter '{name}' must be an integer from {low} to {high}.")
    return value


CORRELATION_ID = web.RequestKey("correlation_id", str)


def correlation_id(request: web.Request) -> str:
    """The client's X-Correlation-ID, else one made for this request (the same however often asked)."""
    if CORRELATION_ID not in request:
        given = request.headers.get("X-Correlation-ID", "")
        request[CORRELATION_ID] = given[:128] if given else str(uuid.uuid4())
    return request[CORRELATION_ID]


def dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
