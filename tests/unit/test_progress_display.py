"""A replay's progress: redrawn in place on a terminal, a line now and then in a pipe or a log."""

from __future__ import annotations

import io
import re

from services.cli.progress import LOGGED_EVERY_S, ProgressDisplay


def counts(text: str) -> list[str]:
    return re.findall(r"(\S+) records", text)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_away_from_a_terminal_a_line_only_every_few_seconds_and_the_last_one_always() -> None:
    out, clock = io.StringIO(), FakeClock()
    display = ProgressDisplay(out, clock)
    for done in range(1, 101):  # 100 updates over 2.5 s: the first line, then nothing until the end
        clock.now += 0.025
        display.update(done, 1000)
    clock.now += LOGGED_EVERY_S
    display.update(500, 1000)
    display.finish(1000, 1000)
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert counts(out.getvalue()) == ["1/1,000", "500/1,000", "1,000/1,000"] and len(lines) == 3
    assert lines[-1].startswith("[" + "#" * 30 + "] 100.0%")


def test_on_a_terminal_one_bar_redrawn_in_place_then_ended() -> None:
    out, clock = Terminal(), FakeClock()
    display = ProgressDisplay(out, clock)
    display.update(0, 10)
    display.update(5, 10)  # at the same moment: not drawn
    clock.now += 0.5
    display.update(5, 10)
    display.finish(10, 10)
    assert counts(out.getvalue()) == ["0/10", "5/10", "10/10"] and out.getvalue().count("\r") == 3
    assert out.getvalue().endswith("\n") and out.getvalue().count("\n") == 1
