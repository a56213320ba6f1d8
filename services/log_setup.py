"""How every service logs: one line per record, `key=value` where it names things, colour only on a
terminal, and the start-up noise that is expected left out."""

from __future__ import annotations

import logging
import sys

COLOURS = {"WARNING": "\033[33m", "ERROR": "\033[31m", "CRITICAL": "\033[31m"}
RESET = "\033[0m"
EXPECTED_AT_START = ("GroupCoordinatorNotAvailableError",)
"""aiokafka logs these at ERROR while a new broker elects its group coordinator: not a fault."""


class _Formatter(logging.Formatter):
    def __init__(self, service: str, colour: bool) -> None:
        super().__init__(f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s")
        self._colour = colour

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        colour = COLOURS.get(record.levelname) if self._colour else None
        return f"{colour}{line}{RESET}" if colour else line


def _not_expected(record: logging.LogRecord) -> bool:
    return not any(marker in record.getMessage() for marker in EXPECTED_AT_START)


def configure(service: str, level: int = logging.INFO) -> None:
    """Called once by a service's entry point, never on import.

    Records carry no caller, thread or process: the format prints none of them, and finding the
    caller's frame was the largest part of the cost of the gateway's line per request."""
    logging._srcfile = None  # the documented way to skip the caller lookup
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter(service, colour=sys.stderr.isatty()))
    handler.addFilter(_not_expected)
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    logging.getLogger("ioc_finder").setLevel(logging.WARNING)  # two INFO lines per report read
