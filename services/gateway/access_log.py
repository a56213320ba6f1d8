"""One `key=value` line per request: what was asked, by whom, the answer and how long it took."""

from __future__ import annotations

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

from services.gateway.auth import PRINCIPAL
from services.gateway.requests import CORRELATION_ID


class StructuredAccessLogger(AbstractAccessLogger):
    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        principal = request.get(PRINCIPAL) if isinstance(request, web.Request) else None
        fields = {
            "method": request.method,
            "path": request.path,
            "status": response.status,
            "ms": f"{time * 1000:.1f}",
            "tenant": principal.tenant_id if principal is not None else "-",
            "correlation": request.get(CORRELATION_ID) or request.headers.get("X-Correlation-ID", "-"),
        }
        if "Location" in response.headers:
            fields["location"] = response.headers["Location"]
        self.logger.info(" ".join(f"{key}={value}" for key, value in fields.items()))
