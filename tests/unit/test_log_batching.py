"""Service log lines go out in batches, soon, in order; a warning goes out at once."""

from __future__ import annotations

import io
import logging
import time

from services.log_setup import BatchedStreamHandler


def handler_on(stream: io.StringIO) -> logging.Logger:
    handler = BatchedStreamHandler(stream)  # type: ignore[arg-type]
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger(f"test-batching-{id(stream)}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    return logger


def test_info_lines_are_written_together_within_the_flush_delay() -> None:
    stream = io.StringIO()
    log = handler_on(stream)
    log.info("first")
    log.info("second")
    assert stream.getvalue() == "", "not one write per line"
    time.sleep(BatchedStreamHandler.FLUSH_AFTER_S + 0.2)
    assert stream.getvalue() == "INFO first\nINFO second\n"


def test_a_warning_goes_out_at_once_after_what_came_before_it() -> None:
    stream = io.StringIO()
    log = handler_on(stream)
    log.info("before")
    log.warning("broker away")
    assert stream.getvalue() == "INFO before\nWARNING broker away\n"


def test_many_waiting_lines_go_out_at_once() -> None:
    stream = io.StringIO()
    lines = BatchedStreamHandler(stream)  # type: ignore[arg-type]
    line = "x" * 1023 + "\n"
    for _ in range(BatchedStreamHandler.FLUSH_AT_CHARS // len(line)):
        lines.write_line(line)
    assert len(stream.getvalue()) == BatchedStreamHandler.FLUSH_AT_CHARS, "flushed when the batch was full, not later"
    lines.write_line("last\n")
    lines.flush()
    assert stream.getvalue().endswith("last\n")


def test_lines_written_past_logging_keep_their_place_among_the_others() -> None:
    stream = io.StringIO()
    log = handler_on(stream)
    (handler,) = log.handlers
    assert isinstance(handler, BatchedStreamHandler)
    log.info("before")
    handler.write_line("access line\n")
    log.warning("after")
    assert stream.getvalue() == "INFO before\naccess line\nWARNING after\n"
