"""Checking each execution's hash chain as it is on the log (`executions verify`).

For one execution, its numbered events in log order: the first event of each sequence number is
the chain's link; a link whose `chainhash` does not follow from the link before it was altered;
a missing number was removed (or, if it comes later, the events were reordered); a second,
different event at a number already taken was inserted, unless its hash is a valid link too,
which is a write repeated by its own writer (a retried creation), not tampering.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from contracts.chain import record_chain_hash
from contracts.events import ExecutionEvent

ALTERED, REMOVED, REORDERED, INSERTED = "altered", "removed", "reordered", "inserted"


@dataclass
class ChainReport:
    execution_id: str
    problems: dict[str, list[int]] = field(default_factory=dict)
    """Kind of tampering -> the sequence numbers where it shows."""
    repeated_writes: list[int] = field(default_factory=list)
    unchained: bool = False
    """Written before events carried hashes: nothing to check."""

    @property
    def intact(self) -> bool:
        return not self.problems

    def add(self, kind: str, sequence: int) -> None:
        self.problems.setdefault(kind, []).append(sequence)


def verify_chain(execution_id: str, logged: Iterable[tuple[ExecutionEvent, bytes]]) -> ChainReport:
    report = ChainReport(execution_id)
    links: dict[int, ExecutionEvent] = {}
    raw: dict[int, bytes] = {}
    extras: list[tuple[ExecutionEvent, bytes]] = []
    order: list[int] = []
    for event, value in logged:
        if event.sequence is None:
            continue  # requests (cancellation, promotion) are not links
        if event.sequence in links:
            if value != raw[event.sequence]:
                extras.append((event, value))
            continue  # else the same bytes twice: a resend, skipped by every reader
        links[event.sequence], raw[event.sequence] = event, value
        order.append(event.sequence)
    if links and all(e.chainhash is None for e in links.values()):
        report.unchained = True
        return report
    _check_order(report, order)
    _check_links(report, links, raw)
    for event, value in extras:
        assert event.sequence is not None
        if _follows(links, event, value):
            report.repeated_writes.append(event.sequence)
        else:
            report.add(INSERTED, event.sequence)
    return report


def _check_order(report: ChainReport, order: list[int]) -> None:
    present = set(order)
    for sequence in range(1, max(order, default=0) + 1):
        if sequence not in present:
            report.add(REMOVED, sequence)
    for before, after in zip(order, order[1:], strict=False):
        if after < before:
            report.add(REORDERED, after)


def _check_links(report: ChainReport, links: dict[int, ExecutionEvent], raw: dict[int, bytes]) -> None:
    for sequence, event in sorted(links.items()):
        if sequence > 1 and sequence - 1 not in links:
            continue  # what it followed is gone: reported as removed
        if not _follows(links, event, raw[sequence]):
            report.add(ALTERED, sequence)


def _follows(links: dict[int, ExecutionEvent], event: ExecutionEvent, value: bytes) -> bool:
    assert event.sequence is not None
    previous = links[event.sequence - 1].chainhash if event.sequence > 1 else None
    return event.chainhash is not None and record_chain_hash(previous, value) == event.chainhash
