"""Session fixtures: one real Kafka broker for the whole run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.kafka.provider import kafka_bootstrap


@pytest.fixture(scope="session")
def kafka_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real broker: $KAFKA_BOOTSTRAP_SERVERS, else testcontainers, else a local KRaft broker."""
    with kafka_bootstrap(tmp_path_factory.mktemp("kafka")) as servers:
        yield servers
