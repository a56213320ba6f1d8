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
