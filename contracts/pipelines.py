"""A pipeline: what a tenant can trigger, and what each execution snapshots at trigger time."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from contracts.envelope import Frozen
from contracts.events import JsonObject, PipelineSnapshot


class Pipeline(Frozen):
    pipeline_id: str
    name: str
    description: str = ""
    handler_type: str
    inputs_schema: JsonObject
    outputs_schema: JsonObject
    configuration: JsonObject = Field(default_factory=dict)

    def snapshot(self) -> PipelineSnapshot:
        return PipelineSnapshot(
            pipeline_id=self.pipeline_id,
            pipeline_name=self.name,
            pipeline_handler_type=self.handler_type,
            pipeline_inputs_schema=self.inputs_schema,
            pipeline_outputs_schema=self.outputs_schema,
            pipeline_configuration=self.configuration,
        )

    def to_api(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)
