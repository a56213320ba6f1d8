"""A long command's progress: one bar redrawn in place on a terminal, a line now and then elsewhere.

A carriage-return bar written into a pipe or a log file is not redrawn, it piles up: every
frame stays in the file. So away from a terminal a line is written only every `LOGGED_EVERY_S`,
and on a terminal a frame only when its text changed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import IO

DRAWN_EVERY_S = 0.25
LOGGED_EVERY_S = 5.0
BAR_WIDTH = 30


def progress_text(done: int, total: int, seconds: float) -> str:
    rate = done / seconds if seconds else 0.0
    share = done / total if total else 1.0
    eta = (total - done) / rate if rate else float("inf")
    bar = "#" * int(share * BAR_WIDTH)
    return f"[{bar:<{BAR_WIDTH}}] {share:6.1%} {done:,}/{total:,} records  {rate:,.0f}/s  ETA {eta:.1f} s"


class ProgressDisplay:
    def __init__(self, out: IO[str], clock: Callable[[], float] = time.monotonic) -> None:
        self._out = out
        self._clock = clock
        self._on_terminal = out.isatty()
        self._every_s = DRAWN_EVERY_S if self._on_terminal else LOGGED_EVERY_S
        self._began = clock()
        self._last_text = ""
        self._last_shown = -float("inf")

    def update(self, done: int, total: int) -> None:
        """Shown if it is time to, and if it says something new."""
        now = self._clock()
        if now - self._last_shown < self._every_s:
            return
        text = progress_text(done, total, now - self._began)
        if text != self._last_text:
            self._show(text)
            self._last_shown = now

    def finish(self, done: int, total: int) -> None:
        """The last figures, always shown, and the line ended."""
        self._show(progress_text(done, total, self._clock() - self._began))
        if self._on_terminal:
            self._out.write("\n")
        self._out.flush()

    def _show(self, text: str) -> None:
        self._last_text = text
        self._out.write(f"\r{text} " if self._on_terminal else f"{text}\n")
        self._out.flush()
