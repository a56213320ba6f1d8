"""The projections plugged into every executions read model (gateway, replay, bench).

Adding a read model: a module with a `Projection` (see `projections/read_model.py`), one line
here, and a route that queries it. It is backfilled from the log on its first start.
"""

from __future__ import annotations

from projections.pipeline_stats import PipelineStatsProjection
from projections.read_model import Projection


def plugged_projections() -> tuple[Projection, ...]:
    return (PipelineStatsProjection(),)
