"""Every error leaves the gateway as JSON with a stable code and a helpful message."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from contracts.api import ErrorBody

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "BadRequest",
    401: "Unauthorized",
    404: "NotFound",
    405: "MethodNotAllowed",
    413: "ContextTooLarge",
    415: "UnsupportedMediaType",
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}


def broker_unavailable() -> ApiError:
    return ApiError(
        503, "BrokerUnavailable", "The event log is unavailable; retry shortly.", headers={"Retry-After": "5"}
    )


def not_ready(still_doing: str) -> ApiError:
    """A replica still folding its log must not judge yet; the client retries shortly."""
    return ApiError(503, "NotReady", f"This gateway is {still_doing}; retry shortly.", headers={"Retry-After": "2"})


def error_response(error: ApiError) -> web.Response:
    body = ErrorBody(error=error.code, message=error.message, details=error.details)
    return web.json_response(body.model_dump(exclude_none=True), status=error.status, headers=error.headers)


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as error:
        return error_response(error)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return error_response(_from_http(error))
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(ApiError(500, "InternalError", "Unexpected server error; it has been logged."))


def _from_http(error: web.HTTPException) -> ApiError:
    code = HTTP_CODES.get(error.status, "HttpError")
    message = error.text if error.text and not error.text.startswith(str(error.status)) else error.reason
    if error.status == 413:
        message = "Request body is larger than the gateway accepts; reduce the input size."
    if error.status == 404:
        message = "No such route."
    return ApiError(
        error.status, code, message, headers={"Allow": error.headers["Allow"]} if "Allow" in error.headers else None
    )
