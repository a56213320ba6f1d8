"""The Restate side of the baseline: one durable no-op handler, served over h2c by hypercorn.

Run by `bench.restate` with the Python of the Restate venv (restate-sdk, hypercorn, uvloop),
never the project's: `python noop_service.py PORT`.

`POST /Noop/run` with a JSON body on Restate's ingress invokes `Noop.run`, which runs one
`ctx.run` step that does nothing and returns `null`. The ingress answers once Restate has
written to its log the invocation, the step's result (the SDK waits for that write before going
on) and the output: durable the way a no_op execution is (created, started, completed).
`POST /Noop/bare` is the same without the step, to see what the step costs.
"""

# mypy: ignore-errors
# (restate and hypercorn live only in the Restate venv, so the project's mypy cannot see them.)

from __future__ import annotations

import asyncio
import sys

import restate
import uvloop
from hypercorn.asyncio import serve
from hypercorn.config import Config


def build_app() -> object:
    noop = restate.Service("Noop")

    @noop.handler("run")
    async def run(ctx: restate.Context, request: dict) -> None:
        # `request` is the same small JSON body our trigger takes, `{"input": {}}`, and is unused.
        await ctx.run_typed("noop", _nothing)

    @noop.handler("bare")
    async def bare(ctx: restate.Context, request: dict) -> None:
        # No step: only the invocation and its output are journaled. To compare, not the baseline.
        return None

    return restate.app(services=[noop])


def _nothing() -> None:
    return None


def config(port: int) -> Config:
    cfg = Config()
    cfg.bind = [f"127.0.0.1:{port}"]
    # Restate keeps one HTTP/2 connection and multiplexes every invocation over it: hypercorn's
    # default of 100 concurrent streams would cap the load at 100 calls in flight. Same values
    # as the SDK's own test harness.
    cfg.h2_max_concurrent_streams = 2**31 - 1
    cfg.keep_alive_max_requests = 2**31 - 1
    cfg.keep_alive_timeout = 2**31 - 1
    cfg.accesslog = None
    return cfg


def main() -> None:
    port = int(sys.argv[1])
    uvloop.install()  # the project's services run on uvloop too
    asyncio.run(serve(build_app(), config(port), mode="asgi"))


if __name__ == "__main__":
    main()
