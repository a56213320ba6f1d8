"""Pipeline steps run in a child process that cannot reach the network, spawn, write or run away."""

import pytest

from services.handler.plugins.sandbox import SandboxLimits, StepFailed, run_step

LIMITS = SandboxLimits(wall_s=5, cpu_s=5, memory_bytes=256 * 1024 * 1024)


async def test_a_step_sees_inputs_and_earlier_results() -> None:
    code = "result = {'n': len(inputs['query'].split()), 'before': results[-1]}"
    assert await run_step(code, {"query": "a b c"}, ["x"], LIMITS) == {"n": 3, "before": "x"}


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("import socket; socket.create_connection(('127.0.0.1', 9))", "not allowed in a pipeline step: socket"),
        ("import subprocess; subprocess.run(['true'])", "subprocess.Popen"),
        ("import os; os.system('true')", "os.system"),
        ("open('/tmp/pipeline-step-was-here', 'w')", "writing files"),
        ("x = bytearray(2 * 1024 * 1024 * 1024)", "MemoryError"),
        ("y = 1", "must assign `result`"),
        ("result = 1 / 0", "ZeroDivisionError"),
    ],
)
async def test_forbidden_or_failing_steps_fail_with_the_reason(code: str, reason: str) -> None:
    with pytest.raises(StepFailed, match=reason.replace("(", r"\(")):
        await run_step(code, {}, [], LIMITS)


async def test_a_runaway_step_is_stopped_at_its_deadline() -> None:
    with pytest.raises(StepFailed, match="time limit"):
        await run_step("while True: pass", {}, [], SandboxLimits(wall_s=1, cpu_s=5))
