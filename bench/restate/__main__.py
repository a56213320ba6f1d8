"""`python -m bench.restate`: the Restate baseline alone (installs it on first use)."""

from __future__ import annotations

import argparse
import sys

from bench.restate import measure
from bench.restate.load import HANDLERS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=3000, help="timed calls at --clients")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--latency-calls", type=int, default=2000, help="timed calls at --latency-clients")
    parser.add_argument("--latency-clients", type=int, default=50)
    parser.add_argument("--handler", choices=HANDLERS, default="run", help="run: one ctx.run step; bare: none")
    args = parser.parse_args()
    figures = measure(args.calls, args.clients, args.latency_calls, args.latency_clients, handler=args.handler)
    if figures is None:
        sys.exit(1)
    print(figures.summary())


if __name__ == "__main__":
    main()
