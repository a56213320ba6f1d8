"""Dispatcher settings, read from the environment by the entry point only."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from services.kafka_settings import KafkaSettings
from services.webhooks.backoff import Backoff

ALLOW_PRIVATE_ENV = "WEBHOOK_ALLOW_PRIVATE_TARGETS"


def allow_private_targets(env: Mapping[str, str]) -> bool:
    """The operator's word that webhooks may reach loopback and private addresses (dev, tests)."""
    return env.get(ALLOW_PRIVATE_ENV, "").strip().lower() in {"1", "true", "yes"}


@dataclass(frozen=True)
class DispatcherSettings:
    kafka: KafkaSettings
    data_dir: Path
    """Where the secrets key is kept when WEBHOOK_SECRETS_KEY is not set (shared with the gateway)."""
    instance_id: str = "webhooks-1"
    env: Mapping[str, str] = field(default_factory=dict)
    """Only for WEBHOOK_SECRETS_KEY: the key itself is read where it is used, never kept in settings."""
    allow_private_targets: bool = False
    backoff: Backoff = field(default_factory=Backoff)
    request_timeout_s: float = 10.0
    max_in_flight: int = 32
    """Deliveries at once, across all endpoints."""
    directory_poll_s: float = 0.2

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> DispatcherSettings:
        return cls(
            kafka=KafkaSettings.from_env(env),
            data_dir=Path(env.get("DATA_DIR", ".data")),
            instance_id=env.get("WEBHOOKS_INSTANCE_ID", "webhooks-1"),
            env=env,
            allow_private_targets=allow_private_targets(env),
            backoff=Backoff(
                base_s=float(env.get("WEBHOOK_RETRY_BASE_S", "1")), cap_s=float(env.get("WEBHOOK_RETRY_CAP_S", "60"))
            ),
            request_timeout_s=float(env.get("WEBHOOK_TIMEOUT_S", "10")),
            max_in_flight=int(env.get("WEBHOOK_MAX_IN_FLIGHT", "32")),
        )
