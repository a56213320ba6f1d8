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
        body: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}
        self.body = body or {}
        """More fields for the JSON body, beside error, message and details."""


def broker_unavailable() -> ApiError:
    """Only when nothing was sent: the client may retry, or not, knowing nothing was recorded."""
    return ApiError(
        503,
        "BrokerUnavailable",
        "The event log is unreachable; nothing was recorded. Retry shortly.",
        headers={"Retry-After": "5"},
    )


def outcome_unknown(what: str, body: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> ApiError:
    """The send began and was not confirmed: it may have been recorded, and a retry must not
    assume either way. `body` and `headers` carry what makes a retry safe (the id and the key)."""
    return ApiError(
        503,
        "OutcomeUnknown",
        f"The event log did not confirm {what} in time: it may or may not have been recorded. "
        "Retry with the same Idempotency-Key (or look the id up) once the delay in Retry-After has passed; "
        "a retry with that key never records it twice.",
        headers={"Retry-After": "5", **(headers or {})},
        body=body,
    )


def not_ready(still_doing: str) -> ApiError:
    """A replica still folding its log must not judge yet; the client retries shortly."""
    return ApiError(503, "NotReady", f"This gateway is {still_doing}; retry shortly.", headers={"Retry-After": "2"})


def error_response(error: ApiError) -> web.Response:
    body = ErrorBody(error=error.code, message=error.message, details=error.details)
    return web.json_response(
        {**body.model_dump(exclude_none=True), **error.body}, status=error.status, headers=error.headers
    )


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as error:
        response = error_response(error)
        if error.headers.get("Connection") == "close":
            response.force_close()  # e.g. the rest of a slow body is not worth waiting for
        return response
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return error_response(_from_http(error))
    except ConnectionError:
        # The client went away mid-request (an upload cut short, say): nobody to answer, nothing to fix.
        log.info("client of %s %s went away before its request was read", request.method, request.path)
        return error_response(ApiError(400, "BadRequest", "The connection closed before the request was read."))
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
