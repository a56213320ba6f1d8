"""Pipeline steps run in a child process that cannot reach the network, spawn, write or run away."""

import asyncio
import re
import time
from pathlib import Path
from typing import Any

import pytest
import uvloop

from services.handler.plugins.sandbox import Isolation, SandboxLimits, StepFailed, run_step

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


LEAVES_A_CHILD_HOLDING_ITS_OUTPUT = """
import os, sys, time
sys.modules['__main__'].BLOCKED_EVENTS = ()  # the audit hook would refuse the fork; it is only Python
child = os.fork()
if child == 0:
    time.sleep(30)  # holds the step's stdout and stderr open
    os._exit(0)
raise ValueError(f'the real error (child {child})')
"""


@pytest.mark.parametrize("run", [asyncio.run, uvloop.run], ids=["asyncio", "uvloop"])
def test_a_step_that_leaves_a_child_holding_its_output_fails_with_its_own_error(run: Any) -> None:
    # Unisolated, as the operator's own steps may run; isolated, the step could not fork at all.
    started = time.monotonic()
    with pytest.raises(StepFailed, match=r"ValueError: the real error \(child (\d+)\)") as failed:
        run(run_step(LEAVES_A_CHILD_HOLDING_ITS_OUTPUT, {}, [], SandboxLimits(wall_s=5), Isolation.NONE))
    assert time.monotonic() - started < 4, "it did not wait for the child"
    child = int(re.findall(r"child (\d+)", str(failed.value))[0])
    deadline = time.monotonic() + 2  # SIGKILL is sent at once, but the child takes a moment to die
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _alive(child), "the child it left was killed with it"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.parametrize("isolation", [Isolation.NONE, Isolation.REQUIRED])
async def test_a_step_flooding_its_output_fails_with_the_size_limit(isolation: Isolation) -> None:
    code = "import os\nos.write(1, b'x' * 8 * 1024 * 1024)\nresult = 1"
    with pytest.raises(StepFailed, match="result larger than 1048576 bytes"):
        await run_step(code, {}, [], SandboxLimits(wall_s=5), isolation)
