"""The hash chain of an execution's numbered events: each one's `chainhash` covers the event and
the hash of the one before it, so an event altered, removed, reordered or inserted on the log
shows where the chain breaks (`executions verify`).

`chainhash` = sha256 hex of: the previous numbered event's `chainhash` (empty for `Created`), a
newline, and the event's canonical JSON (sorted keys, no spaces, camelCase as on the wire)
without `chainhash` itself. Each event is hashed by its one writer: the gateway for `Created`,
the handler for the rest.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, TypeVar

from contracts.envelope import Envelope

E = TypeVar("E", bound=Envelope)


def chain_hash(previous: str | None, event: Envelope) -> str:
    return _digest(previous, event.model_dump(mode="json", by_alias=True, exclude={"chainhash"}))


def record_chain_hash(previous: str | None, value: bytes) -> str:
    """The hash of an event as its record holds it, for checking: what its writer hashed, in
    the version it wrote, whatever version readers now upcast it to."""
    body = json.loads(value)
    body.pop("chainhash", None)
    return _digest(previous, body)


def _digest(previous: str | None, body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{previous or ''}\n{canonical}".encode()).hexdigest()


def chained(event: E, previous: str | None) -> E:
    """The event with its `chainhash` set, following `previous`."""
    return event.model_copy(update={"chainhash": chain_hash(previous, event)})
