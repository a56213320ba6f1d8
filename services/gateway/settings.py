"""Gateway settings, read from the environment by the entry point only."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from services.files.extractor import ExtractionLimits
from services.gateway.limits import Limits
from services.kafka_settings import KafkaSettings


@dataclass(frozen=True)
class GatewaySettings:
    kafka: KafkaSettings
    data_dir: Path
    api_keys: dict[str, str] = field(default_factory=dict)
    """Plain API key -> tenant id. Hashed on load; never stored or logged in clear."""
    host: str = "127.0.0.1"
    port: int = 8080
    instance_id: str = "gateway-1"
    max_body_bytes: int = 1024 * 1024
    ping_interval_s: float = 15.0
    stream_max_s: float = 300.0
    stream_retry_ms: int = 2000
    read_your_writes_timeout_s: float = 10.0
    max_appends_in_flight: int = 512
    """Appends this gateway sends at once; more wait for a slot, then get 503 Overloaded."""
    append_slot_wait_s: float = 1.0
    cors_allowed_origins: frozenset[str] = frozenset()
    """Browser origins allowed to call the API (CORS); none by default."""
    idle_timeout_s: float = 15.0
    """A connection with no complete request within this long (at its start or between requests) is closed."""
    body_timeout_s: float = 30.0
    """A request body not received in full within this long is a 408."""
    cancel_wait_s: float = 5.0
    limits: Limits = field(default_factory=Limits)
    admin_api_key: str | None = None
    """Enables the admin API (tenants and keys) for whoever presents it."""
    max_file_bytes: int = 10 * 1024 * 1024
    extraction: ExtractionLimits = field(default_factory=ExtractionLimits)
    allow_tenant_code_steps: bool = False
    """Accept `code_agent_language_model` pipelines whose steps a tenant wrote (POST /pipelines); off: 422."""

    @property
    def db_path(self) -> Path:
        return self.data_dir / f"{self.instance_id}.sqlite3"

    @property
    def files_db_path(self) -> Path:
        return self.data_dir / f"{self.instance_id}.files.sqlite3"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> GatewaySettings:
        dev_key = env.get("DEV_API_KEY")
        return cls(
            kafka=KafkaSettings.from_env(env),
            data_dir=Path(env.get("DATA_DIR", ".data")),
            api_keys={dev_key: env.get("DEV_TENANT_ID", "tnt_dev")} if dev_key else {},
            host=env.get("HOST", "127.0.0.1"),
            port=int(env.get("PORT", "8080")),
            instance_id=env.get("GATEWAY_INSTANCE_ID", "gateway-1"),
            ping_interval_s=float(env.get("SSE_PING_INTERVAL_S", "15")),
            stream_max_s=float(env.get("SSE_MAX_CONNECTION_S", "300")),
            admin_api_key=env.get("ADMIN_API_KEY") or None,
            max_file_bytes=int(env.get("MAX_FILE_BYTES", str(10 * 1024 * 1024))),
            max_appends_in_flight=int(env.get("MAX_APPENDS_IN_FLIGHT", "512")),
            cors_allowed_origins=frozenset(
                o.strip() for o in env.get("CORS_ALLOWED_ORIGINS", "").split(",") if o.strip()
            ),
            allow_tenant_code_steps=env.get("ALLOW_TENANT_CODE_STEPS", "").strip().lower() in {"1", "true", "yes"},
            limits=Limits(
                per_key_per_minute=int(env.get("RATE_LIMIT_PER_MINUTE", "600")),
                monthly_executions=int(env.get("MONTHLY_EXECUTION_QUOTA", "100000")),
            ),
        )
