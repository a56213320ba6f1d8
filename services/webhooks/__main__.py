"""`python -m services.webhooks`: deliver webhooks, with settings from the environment."""

from __future__ import annotations

import asyncio
import signal

import uvloop

from services.log_setup import configure
from services.webhooks.dispatcher import create_dispatcher
from services.webhooks.settings import DispatcherSettings


async def run(settings: DispatcherSettings) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    async with create_dispatcher(settings):
        await stopping.wait()


def main() -> None:
    configure("webhooks")
    uvloop.run(run(DispatcherSettings.from_env()))


if __name__ == "__main__":
    main()
