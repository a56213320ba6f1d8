"""Kafka connection settings shared by every service, read from the environment once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from contracts.topics import DEFAULT_EVENTS_TOPIC


@dataclass(frozen=True)
class KafkaSettings:
    bootstrap_servers: str
    events_topic: str = DEFAULT_EVENTS_TOPIC
    partitions: int = 6
    replication_factor: int = 1
    """Copies of each topic the services create (EVENTS_REPLICATION_FACTOR, 3 on a cluster); acks=all
    writes then wait for min(2, this) of them (`contracts.topics.min_insync_replicas`)."""
    send_timeout_s: float = 10.0
    """Deadline on every send: a request fails fast when the broker is away."""

    @property
    def servers(self) -> list[str]:
        """The bootstrap servers one by one. aiokafka splits a comma-separated string itself, but
        faststream's KafkaBroker takes a string for a single `host:port` (it wraps it in a list)."""
        return [server.strip() for server in self.bootstrap_servers.split(",") if server.strip()]

    @property
    def dlq_topic(self) -> str:
        return f"{self.events_topic}.dlq"

    @property
    def tokens_topic(self) -> str:
        return f"{self.events_topic}.tokens"

    @property
    def files_topic(self) -> str:
        return f"{self.events_topic}.files"

    @property
    def tenancy_topic(self) -> str:
        return f"{self.events_topic}.tenancy"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> KafkaSettings:
        return cls(
            bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
            events_topic=env.get("EVENTS_TOPIC", DEFAULT_EVENTS_TOPIC),
            partitions=int(env.get("EVENTS_PARTITIONS", "6")),
            replication_factor=int(env.get("EVENTS_REPLICATION_FACTOR", "1")),
            send_timeout_s=float(env.get("KAFKA_SEND_TIMEOUT_S", "10")),
        )
