"""Running untrusted Python steps in a child process, with time, memory and capability limits.

A tenant's step runs behind an OS-level boundary (namespaces, a read-only view of the
interpreter only, an unused uid, no network, no other processes; see `sandbox_runner.py`) or
not at all. The operator's own steps may fall back to the audit hook alone where this machine
cannot set the boundary up (not root, or namespaces refused, as in most containers).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import signal
import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from services.handler.plugins.sandbox_runner import ISOLATION_UNAVAILABLE

RUNNER = Path(__file__).with_name("sandbox_runner.py")
EXIT_POLL_S = 0.05
LEFTOVER_GRACE_S = 1.0
"""How long a step's pipes may stay open after it exits (held by a process it started) before they are dropped."""
STDERR_BYTES = 64 * 1024

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SandboxLimits:
    wall_s: float = 10.0
    cpu_s: int = 10
    memory_bytes: int = 512 * 1024 * 1024
    output_bytes: int = 1024 * 1024


class Isolation(Enum):
    REQUIRED = "required"
    """Tenant-authored code: inside the OS-level boundary, or it fails without running."""
    PREFERRED = "preferred"
    """The operator's own code: inside the boundary where the machine allows it, else with the audit hook alone."""
    NONE = "none"
    """The audit hook and the rlimits alone: a guard for honest mistakes, not for hostile code."""


class StepFailed(Exception):
    """The step raised, exceeded a limit, or produced no usable result."""


class IsolationUnavailable(StepFailed):
    """The OS-level boundary could not be set up on this machine, so the step did not run."""


async def run_step(
    code: str, inputs: Any, results: list[Any], limits: SandboxLimits, isolation: Isolation = Isolation.REQUIRED
) -> Any:
    request = json.dumps({"code": code, "inputs": inputs, "results": results}).encode()
    if isolation is Isolation.NONE:
        return await _run(request, limits, isolate=False)
    try:
        return await _run(request, limits, isolate=True)
    except IsolationUnavailable as error:
        if isolation is Isolation.REQUIRED:
            raise
        _warn_unisolated(str(error))
        return await _run(request, limits, isolate=False)


@functools.cache  # once per reason, not once per step
def _warn_unisolated(reason: str) -> None:
    log.warning("running the operator's own steps with the audit hook alone: %s", reason)


async def _run(request: bytes, limits: SandboxLimits, isolate: bool) -> Any:
    settings = json.dumps({"isolate": isolate, "cpuS": limits.cpu_s, "memoryBytes": limits.memory_bytes})
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-I", "-S", str(RUNNER), settings,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={}, cwd="/", start_new_session=True,  # its own process group: what it starts can be killed with it
    )  # fmt: skip
    stdout, stderr = bytearray(), bytearray()
    drains = {
        asyncio.create_task(_drain(process.stdout, stdout, limits.output_bytes + 1)),
        asyncio.create_task(_drain(process.stderr, stderr, STDERR_BYTES)),
    }
    feeding = asyncio.create_task(_feed(process.stdin, request))
    try:
        await _until_exit(process, drains, limits.wall_s)
    finally:
        await _end(process, {*drains, feeding})
    return _answer(bytes(stdout), bytes(stderr), process.returncode, limits)


async def _until_exit(process: asyncio.subprocess.Process, drains: set[asyncio.Task[None]], wall_s: float) -> None:
    """Until the step's process exits (or its time is up), not until its pipes close.

    Process.wait() waits for the pipes too, which a process the step started may hold open.
    """
    try:
        async with asyncio.timeout(wall_s):
            while process.returncode is None:
                if all(drain.done() for drain in drains):
                    await process.wait()
                    return
                await asyncio.wait(drains, timeout=EXIT_POLL_S)
    except TimeoutError:
        raise StepFailed(f"exceeded the {wall_s:g} s time limit") from None


async def _end(process: asyncio.subprocess.Process, io: set[asyncio.Task[None]]) -> None:
    """Kill what is left of the step, take what it wrote, and stop listening to anything it left behind."""
    _kill_group(process)  # even once it exited: a process it started may live on (and uvloop may have closed the pipes)
    await asyncio.wait(io, timeout=LEFTOVER_GRACE_S)
    for task in io:
        task.cancel()
    if process.returncode is None:  # killed just now: collect it, so its exit status is known
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(LEFTOVER_GRACE_S):
                await process.wait()


def _kill_group(process: asyncio.subprocess.Process) -> None:
    # The group's id stays taken while a member lives; once none does, reusing it in these few ms needs a pid wrap.
    # Isolated, the step is also PID 1 of its namespace: when it dies, everything it started dies with it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


async def _feed(stdin: asyncio.StreamWriter | None, request: bytes) -> None:
    assert stdin is not None
    try:
        stdin.write(request)
        await stdin.drain()
    except (BrokenPipeError, ConnectionResetError):
        pass  # it ended before reading it all: its output says why
    finally:
        stdin.close()


async def _drain(stream: asyncio.StreamReader | None, sink: bytearray, keep: int) -> None:
    """Read to the end, keeping at most `keep` bytes: a flood of output cannot fill the handler's memory."""
    assert stream is not None
    while chunk := await stream.read(64 * 1024):
        sink += chunk[: max(0, keep - len(sink))]


def _answer(stdout: bytes, stderr: bytes, returncode: int | None, limits: SandboxLimits) -> Any:
    if len(stdout) > limits.output_bytes:
        raise StepFailed(f"result larger than {limits.output_bytes} bytes")
    try:
        answer = json.loads(stdout)
    except ValueError:
        tail = stderr.decode(errors="replace").strip().splitlines()[-1:] or [f"exit status {returncode}"]
        raise StepFailed(f"the step process died ({tail[0]}); memory or CPU limit?") from None
    if not isinstance(answer, dict) or not {"result", "error", ISOLATION_UNAVAILABLE} & answer.keys():
        raise StepFailed("the step process gave no result")
    if ISOLATION_UNAVAILABLE in answer:
        raise IsolationUnavailable(
            f"the sandbox's OS-level isolation could not be set up on this machine ({answer[ISOLATION_UNAVAILABLE]}),"
            " so the step did not run; it needs the handler to run as root with namespaces allowed"
        )
    if "error" in answer:
        raise StepFailed(answer["error"])
    return answer["result"]
