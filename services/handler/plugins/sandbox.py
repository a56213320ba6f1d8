"""Running untrusted Python steps in a child process, with time, memory and capability limits."""

from __future__ import annotations

import asyncio
import json
import resource
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RUNNER = Path(__file__).with_name("sandbox_runner.py")


@dataclass(frozen=True)
class SandboxLimits:
    wall_s: float = 10.0
    cpu_s: int = 10
    memory_bytes: int = 512 * 1024 * 1024
    output_bytes: int = 1024 * 1024


class StepFailed(Exception):
    """The step raised, exceeded a limit, or produced no usable result."""


async def run_step(code: str, inputs: Any, results: list[Any], limits: SandboxLimits) -> Any:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-I", str(RUNNER),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={}, cwd="/", preexec_fn=lambda: _limit(limits),
    )  # fmt: skip
    request = json.dumps({"code": code, "inputs": inputs, "results": results}).encode()
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(request), limits.wall_s)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise StepFailed(f"exceeded the {limits.wall_s:g} s time limit") from None
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return _answer(stdout, stderr, process.returncode, limits)


def _answer(stdout: bytes, stderr: bytes, returncode: int | None, limits: SandboxLimits) -> Any:
    if len(stdout) > limits.output_bytes:
        raise StepFailed(f"result larger than {limits.output_bytes} bytes")
    try:
        answer = json.loads(stdout)
    except ValueError:
        tail = stderr.decode(errors="replace").strip().splitlines()[-1:] or [f"exit status {returncode}"]
        raise StepFailed(f"the step process died ({tail[0]}); memory or CPU limit?") from None
    if "error" in answer:
        raise StepFailed(answer["error"])
    return answer["result"]


def _limit(limits: SandboxLimits) -> None:
    """In the child, before exec: hard limits the step cannot raise again."""
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
