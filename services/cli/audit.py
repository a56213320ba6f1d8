"""`executions history ID`, `export --tenant T` and `verify`: the log itself, read from offset 0."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import IO

from contracts.codec import UndecodableEvent, decode
from contracts.events import ExecutionEvent
from projections.log_reader import whole_topic
from projections.verify import ChainReport, verify_chain
from services.kafka_io import partitions_of
from services.kafka_settings import KafkaSettings


async def events_on_log(kafka: KafkaSettings) -> AsyncIterator[tuple[ExecutionEvent, bytes]]:
    """Each decodable event with its bytes as they are on the log (others are the DLQ's business)."""
    partitions = await partitions_of(kafka, kafka.events_topic)
    async for record in whole_topic(kafka.bootstrap_servers, kafka.events_topic, partitions):
        try:
            yield decode(record.value), record.value
        except UndecodableEvent:
            continue


def timeline_line(event: ExecutionEvent) -> str:
    data = event.data.model_dump(mode="json", by_alias=True, exclude_none=True)
    detail = {k: data[k] for k in ("percent", "message", "outcome", "errorMessage", "reason") if k in data}
    sequence = f"#{event.sequence}" if event.sequence is not None else "  -"
    return f"{event.time.isoformat()}  {sequence:>4}  {event.type:<40} {event.actor:<32} {json.dumps(detail)}"


async def history(kafka: KafkaSettings, execution_id: str, out: IO[str]) -> int:
    """Print the execution's timeline; the number of events found."""
    found = 0
    async for event, _ in events_on_log(kafka):
        if event.subject == execution_id:
            out.write(timeline_line(event) + "\n")
            found += 1
    return found


async def export(kafka: KafkaSettings, tenant_id: str, out: IO[str]) -> int:
    """Write the tenant's events as JSON Lines, byte for byte as on the log; the number written."""
    written = 0
    async for event, value in events_on_log(kafka):
        if event.tenantid == tenant_id:
            out.write(value.decode() + "\n")
            written += 1
    return written


async def verify(kafka: KafkaSettings, out: IO[str]) -> list[ChainReport]:
    """Check every execution's chain; print each one that was tampered with, then a summary."""
    by_execution: dict[str, list[tuple[ExecutionEvent, bytes]]] = defaultdict(list)
    async for event, value in events_on_log(kafka):
        by_execution[event.subject].append((event, value))
    reports = [verify_chain(execution_id, logged) for execution_id, logged in by_execution.items()]
    tampered = [r for r in reports if not r.intact]
    for report in tampered:
        found = "; ".join(f"{kind} at #{', #'.join(map(str, numbers))}" for kind, numbers in report.problems.items())
        out.write(f"TAMPERED {report.execution_id}: {found}\n")
    repeated = sum(1 for r in reports if r.repeated_writes)
    unchained = sum(1 for r in reports if r.unchained)
    out.write(
        f"{len(reports)} executions checked: {len(tampered)} tampered with, {repeated} with a repeated write "
        f"(a retried creation: not tampering), {unchained} written before hash chains\n"
    )
    return reports
