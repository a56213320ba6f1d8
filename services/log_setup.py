"""How every service logs: one line per record, `key=value` where it names things, colour only on a
terminal, and the start-up noise that is expected left out."""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import TextIO

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


class _Clock:
    """`logging`'s asctime (`2026-12-02 06:04:34,123`), formatted once per second."""

    def __init__(self) -> None:
        self._second = -1
        self._text = ""

    def now(self) -> str:
        moment = time.time()
        second = int(moment)
        if second != self._second:
            self._second, self._text = second, time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
        return f"{self._text},{int((moment - second) * 1000):03d}"


class BatchedStreamHandler(logging.StreamHandler[TextIO]):
    """Lines written together, at most `FLUSH_AFTER_S` after the first of a batch; a warning or
    worse goes out at once, after what came before it.

    One write per line cost a syscall each: the handler's line per state change was ~6 % of its
    CPU under load. A process killed with -9 loses at most that long of INFO lines; the event
    log, not this one, is the record of what happened."""

    FLUSH_AFTER_S = 0.2
    FLUSH_AT_CHARS = 64 * 1024

    def __init__(self, stream: TextIO, service: str = "-") -> None:
        super().__init__(stream)
        self.service = service
        self._clock = _Clock()
        self._pending: list[str] = []
        self._chars = 0
        self._timer: threading.Timer | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
        except Exception:
            self.handleError(record)
            return
        self.write_line(line, at_once=record.levelno >= logging.WARNING)

    def info_line(self, logger_name: str, message: str) -> None:
        """An INFO line of a hot path (a request, a state change), formatted as `configure`'s are
        but without a LogRecord and a formatter: through `logging` a line cost ~5 % of a
        service's CPU under load."""
        self.write_line(f"{self._clock.now()} {self.service} INFO {logger_name}: {message}\n")

    def write_line(self, line: str, at_once: bool = False) -> None:
        """A line already formatted, without a LogRecord (`info_line`'s)."""
        with self.lock:  # type: ignore[union-attr]  # created by Handler.__init__
            self._pending.append(line)
            self._chars += len(line)
            if at_once or self._chars >= self.FLUSH_AT_CHARS:
                self._write_pending()
            elif self._timer is None:
                self._timer = threading.Timer(self.FLUSH_AFTER_S, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._write_pending()

    def _write_pending(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._pending:
            lines, self._pending, self._chars = self._pending, [], 0
            self.stream.write("".join(lines))
        self.stream.flush()


def service_lines(service: str) -> BatchedStreamHandler:
    """The batch `configure` set up on stderr, so that lines written past `logging` keep their
    place among the others; a batch of its own where nothing was configured (tests)."""
    found = [h for h in logging.getLogger().handlers if isinstance(h, BatchedStreamHandler)]
    return found[0] if found else BatchedStreamHandler(sys.stderr, service)


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
    handler = BatchedStreamHandler(sys.stderr, service)
    handler.setFormatter(_Formatter(service, colour=sys.stderr.isatty()))
    handler.addFilter(_not_expected)
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    logging.getLogger("ioc_finder").setLevel(logging.WARNING)  # two INFO lines per report read
