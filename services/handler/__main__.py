"""`python -m services.handler`: run the handler with settings from the environment."""

from __future__ import annotations

import uvloop

from services.gc_tuning import tune_garbage_collection
from services.handler.app import create_app
from services.handler.settings import HandlerSettings
from services.log_setup import configure


def main() -> None:
    configure("handler")
    tune_garbage_collection()
    uvloop.run(create_app(HandlerSettings.from_env()).run())


if __name__ == "__main__":
    main()
