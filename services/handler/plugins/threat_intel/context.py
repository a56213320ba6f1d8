"""Which techniques a report names together with an indicator: those in the same sentence.

Reports wrap lines mid-sentence and list hashes one a line, so a line break ends a sentence
only when the next line starts anew (a capital, a bullet, or after a blank line)."""

from __future__ import annotations

import bisect
import re

from services.handler.plugins.threat_intel.techniques import Mention

SENTENCE_END = re.compile(r"[.!?;](?=\s)|\n(?=\s*(?:[A-Z]|[-*•]\s|\n))")


def sentence_starts(text: str) -> list[int]:
    return [0] + [match.end() for match in SENTENCE_END.finditer(text)]


def same_sentence(starts: list[int], first: int, second: int) -> bool:
    return bisect.bisect_right(starts, first) == bisect.bisect_right(starts, second)


def techniques_near(text: str, positions: tuple[int, ...], mentions: list[Mention]) -> list[str]:
    starts = sentence_starts(text)
    near = (m.id for m in mentions for position in positions if same_sentence(starts, position, m.start))
    return list(dict.fromkeys(near))
