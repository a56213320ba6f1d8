"""Events this process has just appended, so that its own reader of the log need not parse them.

A gateway folds every Created it appends a moment later, when its runner reads it back; parsing
and validating the JSON again was one of the larger costs per trigger. The event is kept, by
its id, from the moment it is sent, and taken back when a record with that id and exactly the
same bytes is read: anything else on the log is parsed as usual.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import cast

from contracts.envelope import Envelope
from contracts.events import EVENT_CLASSES, ExecutionEvent, LegacyExecutionProgressed

CURRENT_EVENT_CLASSES = tuple(cls for cls in EVENT_CLASSES if cls is not LegacyExecutionProgressed)


class OwnAppends:
    def __init__(self, capacity: int = 8192) -> None:
        self._capacity = capacity
        self._sent: OrderedDict[str, tuple[Envelope, bytes]] = OrderedDict()

    def add(self, event: Envelope, value: bytes) -> None:
        """Called as the event is sent; an event never read back (its send failed) ages out."""
        if not isinstance(event, CURRENT_EVENT_CLASSES):
            return
        self._sent[event.id] = (event, value)
        if len(self._sent) > self._capacity:
            self._sent.popitem(last=False)

    def take(self, event_id: str | None, value: bytes | None) -> ExecutionEvent | None:
        """The event sent as exactly these bytes under this id, if this process sent it."""
        if event_id is None or event_id not in self._sent:
            return None
        event, sent = self._sent.pop(event_id)
        return cast(ExecutionEvent, event) if sent == value else None
