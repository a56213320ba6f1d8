"""Topics the services own, with the settings they are created with."""

from __future__ import annotations

from dataclasses import dataclass, field

from contracts.files import TOPIC_MAX_MESSAGE_BYTES
from contracts.tokens import TOKENS_RETENTION_MS

UNLIMITED = "-1"
MAX_MESSAGE_BYTES = 1024 * 1024
"""`max.message.bytes` of the events and tenancy topics: Kafka's usual limit, set explicitly."""
MAX_EVENT_RECORD_BYTES = 1_000_000
"""The largest event a producer sends there: room left for the batch's own framing."""
DEFAULT_EVENTS_TOPIC = "executions.events"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int = 1
    config: dict[str, str] = field(default_factory=dict)


def event_topics(events_topic: str, partitions: int, replication_factor: int = 1) -> list[TopicSpec]:
    """The event log (kept forever: it is the audit trail), its dead-letter topic, the
    tenancy topic (one partition: tenants and keys are few, and their order is global),
    streamed tokens (kept a while) and extracted files (kept forever, larger records)."""
    large_records, usual_records = str(TOPIC_MAX_MESSAGE_BYTES), str(MAX_MESSAGE_BYTES)
    durable = {"min.insync.replicas": str(min_insync_replicas(replication_factor))}
    forever = {**durable, "retention.ms": UNLIMITED, "retention.bytes": UNLIMITED, "cleanup.policy": "delete"}
    kept_a_while = {**durable, "retention.ms": TOKENS_RETENTION_MS}
    return [
        TopicSpec(events_topic, partitions, replication_factor, {**forever, "max.message.bytes": usual_records}),
        TopicSpec(f"{events_topic}.dlq", 1, replication_factor, forever),
        TopicSpec(f"{events_topic}.tenancy", 1, replication_factor, {**forever, "max.message.bytes": usual_records}),
        TopicSpec(f"{events_topic}.tokens", partitions, replication_factor, kept_a_while),
        TopicSpec(f"{events_topic}.files", 1, replication_factor, {**forever, "max.message.bytes": large_records}),
    ]


def min_insync_replicas(replication_factor: int) -> int:
    """Copies an acks=all write needs before it is acknowledged: two whenever there are two.

    An acknowledged event is then on two brokers, so losing any one loses nothing. At replication
    3 one broker may be down and writes go on; at replication 2 one down stops writes (503s)
    rather than acknowledge events that only one disk holds: the log is the audit trail, so
    durability comes before availability. A single broker can only ever hold one copy."""
    return max(1, min(2, replication_factor))
