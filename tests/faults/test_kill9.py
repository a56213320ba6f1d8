"""kill -9 of the handler, the gateway and the broker during load: nothing acknowledged is lost,
doubled or left unfinished, and the read model equals a fold of the whole log. The full run
(about 1,000 executions, three kills per part, a table in docs/faults.md) is `make faults`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.chaos import TARGETS, run_case

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("part", TARGETS)
async def test_kill_9_loses_nothing(tmp_path: Path, part: str) -> None:
    result = await run_case(tmp_path, part, executions=150, kills=1)
    print(result.row())
    assert result.kills == 1
    assert result.acknowledged == result.attempted, "every client got its execution acknowledged in the end"
    assert (result.lost, result.doubled, result.stuck, result.gaps) == (0, 0, 0, 0), result
    assert result.read_model_mismatches == 0, result
