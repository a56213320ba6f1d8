"""`python -m services.handler`: run the handler with settings from the environment."""

from __future__ import annotations

import logging

import uvloop

from services.handler.app import create_app
from services.handler.settings import HandlerSettings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s handler %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    uvloop.run(create_app(HandlerSettings.from_env()).run())


if __name__ == "__main__":
    main()
