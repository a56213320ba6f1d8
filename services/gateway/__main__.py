"""`python -m services.gateway`: serve the gateway with settings from the environment."""

from __future__ import annotations

import uvloop

from services.gateway.app import create_app
from services.gateway.server import serve
from services.gateway.settings import GatewaySettings
from services.gc_tuning import tune_garbage_collection
from services.log_setup import configure


def main() -> None:
    configure("gateway")
    tune_garbage_collection()
    settings = GatewaySettings.from_env()
    if not settings.api_keys:
        raise SystemExit("set DEV_API_KEY: no API key is configured, so no request could be served")
    uvloop.run(serve(create_app(settings), settings))


if __name__ == "__main__":
    main()
