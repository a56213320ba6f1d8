"""Handler settings, read from the environment by the entry point only."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from services.handler.plugins.summarize.llm_client import LlmSettings
from services.kafka_settings import KafkaSettings


@dataclass(frozen=True)
class HandlerSettings:
    kafka: KafkaSettings
    instance_id: str = "handler-1"
    consumer_group: str = "handler"
    deadline_s: float = 300.0
    """An execution still running this long after it started fails with PipelineTimeout."""
    step_delay_s: float = 0.5
    max_batch: int = 1000
    publish_attempts: int = 5
    commit_interval_s: float = 0.2
    """The low watermark is committed at most this often (and always on revocation)."""
    llm: LlmSettings | None = None
    progress_interval_s: float = 0.1
    """At most one Progressed event per execution in this interval; reports in between are dropped."""
    files_db_path: Path | None = None
    """Where the handler keeps uploaded files' text; None: a temporary file, refilled at each start."""
    allow_tenant_code_steps: bool = False
    """Run `code_agent_language_model` steps that tenants wrote (isolated, or not at all); the catalog's always run."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> HandlerSettings:
        return cls(
            kafka=KafkaSettings.from_env(env),
            instance_id=env.get("HANDLER_INSTANCE_ID", f"handler-{socket.gethostname()}-{os.getpid()}"),
            consumer_group=env.get("HANDLER_CONSUMER_GROUP", "handler"),
            deadline_s=float(env.get("EXECUTION_DEADLINE_S", "300")),
            step_delay_s=float(env.get("DEMO_STEP_DELAY_S", "0.5")),
            llm=LlmSettings(env["LLM_BASE_URL"], env.get("LLM_MODEL", "gpt-4o-mini"), env.get("LLM_API_KEY"))
            if env.get("LLM_BASE_URL")
            else None,
            files_db_path=Path(env["DATA_DIR"]) / "handler.files.sqlite3" if env.get("DATA_DIR") else None,
            allow_tenant_code_steps=env.get("ALLOW_TENANT_CODE_STEPS", "").strip().lower() in {"1", "true", "yes"},
        )
