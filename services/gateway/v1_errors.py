"""`/v1` error bodies that the reference document's own client can read.

That client reads `resp["data"]["status"]` on every answer, errors included, and stops on
`FAILED` with `data.errorMessage`. So a `/v1` error keeps the usual `error` and `message` and
adds `data`: `FAILED` for what retrying cannot fix, `UNKNOWN` (keep polling) for what it can.
"""

from __future__ import annotations

import json

from aiohttp import web
from aiohttp.typedefs import Handler

V1_PREFIX = "/v1/"
RETRYABLE = frozenset({408, 429, 502, 503, 504})


@web.middleware
async def v1_error_bodies(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    if not request.path.startswith(V1_PREFIX) or response.status < 400 or not isinstance(response, web.Response):
        return response
    if response.content_type != "application/json" or not response.body:
        return response
    body = json.loads(bytes(response.body))  # type: ignore[arg-type]
    if not isinstance(body, dict) or "data" in body:
        return response
    status = "UNKNOWN" if response.status in RETRYABLE else "FAILED"
    body["data"] = {"status": status, "errorMessage": f"{body.get('error', 'Error')}: {body.get('message', '')}"}
    response.body = json.dumps(body).encode()
    return response
