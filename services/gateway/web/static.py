"""The UI's own CSS and JS, shipped in the package and held in memory: nothing from a CDN."""

from __future__ import annotations

import hashlib
from importlib import resources

from aiohttp import web

TYPES = {".css": "text/css", ".js": "text/javascript"}
ASSETS = web.AppKey("web_assets", dict[str, tuple[bytes, str, str]])
"""name -> (content, content type, ETag)"""


def load_assets() -> dict[str, tuple[bytes, str, str]]:
    assets = {}
    for item in resources.files("services.gateway.web").joinpath("static").iterdir():
        content_type = TYPES.get("." + item.name.rpartition(".")[2])
        if content_type is not None:
            content = item.read_bytes()
            assets[item.name] = (content, content_type, f'"{hashlib.sha256(content).hexdigest()[:16]}"')
    return assets


async def serve(request: web.Request) -> web.Response:
    found = request.app[ASSETS].get(request.match_info["name"])
    if found is None:
        raise web.HTTPNotFound(text="No such asset.")
    content, content_type, etag = found
    headers = {"ETag": etag, "Cache-Control": "public, max-age=300"}
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    return web.Response(body=content, content_type=content_type, charset="utf-8", headers=headers)


def setup(app: web.Application) -> None:
    app[ASSETS] = load_assets()
    app.router.add_get("/static/{name}", serve, name="open:static")
