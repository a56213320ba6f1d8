"""A tenant's step runs behind an OS-level boundary, which holds even once the step disarms the audit hook."""

from __future__ import annotations

import asyncio
import ctypes
import errno
import json
import os
import socket
import subprocess
import sys
import textwrap
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from services.handler.plugins.sandbox import Isolation, SandboxLimits, StepFailed, run_step

LIMITS = SandboxLimits(wall_s=10, cpu_s=5, memory_bytes=256 * 1024 * 1024)
# What a hostile step does first: the audit hook is Python in the step's own process, so it can be disarmed.
# Then it has libc at hand, to make system calls no hook sees.
DISARM = (
    "import ctypes, os, sys\nsys.modules['__main__'].BLOCKED_EVENTS = ()\nlibc = ctypes.CDLL(None, use_errno=True)\n"
)
REPO = Path(__file__).parents[2]


async def hostile(code: str, inputs: dict[str, Any] | None = None, isolation: Isolation = Isolation.REQUIRED) -> Any:
    return await run_step(DISARM + textwrap.dedent(code), inputs or {}, [], LIMITS, isolation)


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> str:
    secret = f"secret-{uuid.uuid4().hex}"
    monkeypatch.setenv("SANDBOX_TEST_SECRET", secret)
    return secret


@pytest.fixture
def secret_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A file in the service's data folder and one in its working directory."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "gateway-1.sqlite3").write_text("tenant b's executions")
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "handler.env").write_text("LLM_API_KEY=sk-secret")
    monkeypatch.chdir(tmp_path / "work")
    return [str(tmp_path / "data" / "gateway-1.sqlite3"), str(tmp_path / "work" / "handler.env")]


async def test_a_benign_step_computes_its_result() -> None:
    code = "import statistics\nresult = {'mean': statistics.mean(inputs['n']), 'before': results}"
    assert await run_step(code, {"n": [1, 2, 6]}, ["x"], LIMITS, Isolation.REQUIRED) == {"mean": 3, "before": ["x"]}


async def test_the_step_runs_as_no_one_and_cannot_become_root() -> None:
    identity = await hostile("""
        import os
        result = {"ids": [*os.getresuid(), *os.getresgid()], "groups": os.getgroups()}
        try:
            os.setuid(0)
            result["root"] = True
        except PermissionError:
            result["root"] = False
    """)
    assert 0 not in identity["ids"] and identity["groups"] == [] and identity["root"] is False


async def test_the_disarmed_hook_alone_would_let_the_step_read_the_service_environment() -> None:
    # Without the boundary, a step reads what the handler was started with (LLM_API_KEY and the like).
    started_with = Path("/proc/self/environ").read_text()
    code = "result = open(f'/proc/{inputs[\"pid\"]}/environ').read()"
    assert started_with and await hostile(code, {"pid": os.getpid()}, Isolation.NONE) == started_with
    with pytest.raises(StepFailed, match="FileNotFoundError"):
        await hostile(code, {"pid": os.getpid()})


async def test_the_step_sees_none_of_the_service_environment(secret_env: str) -> None:
    seen = await hostile(
        """
        import os
        seen = {"environ": dict(os.environ)}
        for path in ["/proc/self/environ", "/proc/1/environ", f"/proc/{inputs['pid']}/environ"]:
            try:
                seen[path] = open(path, "rb").read().decode()
            except OSError as error:
                seen[path] = type(error).__name__
        result = seen
        """,
        {"pid": os.getpid()},
    )
    assert secret_env not in json.dumps(seen)
    assert "SANDBOX_TEST_SECRET" not in seen["environ"]
    assert {seen[path] for path in seen if path.startswith("/proc")} == {"FileNotFoundError"}


async def test_the_step_cannot_read_the_service_files_even_through_libc(secret_files: list[str]) -> None:
    code = "result = {p: (libc.open(p.encode(), os.O_RDONLY), ctypes.get_errno()) for p in inputs['paths']}"
    opened = await hostile(code, {"paths": [*secret_files, str(REPO / "pyproject.toml")]})
    assert {fd for fd, _ in opened.values()} == {-1}
    for path in secret_files:
        with pytest.raises(StepFailed, match="FileNotFoundError"):
            await hostile(f"result = open({path!r}).read()")


async def test_the_step_sees_only_a_view_of_the_interpreter() -> None:
    top = set(await hostile("result = os.listdir('/')"))
    assert top <= {"usr", "lib", "lib64", "root", "opt", "home"}, top
    assert not top & {"tmp", "etc", "proc", "sys", "dev", "run", "var", "work"}


async def test_the_step_can_neither_see_nor_signal_other_processes() -> None:
    with pytest.raises(StepFailed, match="ProcessLookupError"):
        await hostile("os.kill(inputs['pid'], 0)", {"pid": os.getpid()})
    with pytest.raises(StepFailed, match="FileNotFoundError"):
        await hostile("result = os.listdir('/proc')")


@pytest.fixture
async def tcp_server() -> AsyncIterator[tuple[int, list[str]]]:
    """A listening 127.0.0.1 port, and who connected to it."""
    connections: list[str] = []

    def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(str(writer.get_extra_info("peername")))
        writer.close()

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1], connections


async def test_the_step_cannot_reach_the_network(tcp_server: tuple[int, list[str]]) -> None:
    port, connections = tcp_server
    with pytest.raises(StepFailed, match="Network is unreachable"):
        await hostile(
            "import socket\nsocket.create_connection(('127.0.0.1', inputs['port']), timeout=2)", {"port": port}
        )
    connected = await hostile(
        """
        import socket, struct
        fd = libc.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
        sockaddr_in = struct.pack("=H", socket.AF_INET) + struct.pack("!H4s8x", inputs["port"], bytes([127, 0, 0, 1]))
        result = libc.connect(fd, sockaddr_in, len(sockaddr_in)), ctypes.get_errno()
        """,
        {"port": port},
    )
    assert connected[0] == -1, connected
    await asyncio.sleep(0.1)
    assert connections == []


async def test_the_step_cannot_reach_the_services_unix_sockets() -> None:
    name = f"\0execution-tracking-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listening:
        listening.bind(name)
        listening.listen()
        with pytest.raises(StepFailed, match="ConnectionRefusedError"):
            await hostile("import socket\nsocket.socket(socket.AF_UNIX).connect(inputs['name'])", {"name": name})


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("os.fork()", "BlockingIOError"),
        ("import subprocess\nsubprocess.run(['/usr/bin/true'])", "BlockingIOError"),
        ("import threading\nthreading.Thread(target=print).start()", "can't start new thread"),
        ("pid = libc.fork()\nif pid == 0: libc._exit(0)\nraise OSError(ctypes.get_errno(), f'fork gave {pid}')", "11"),
    ],
)
async def test_the_step_cannot_start_processes_or_threads(code: str, reason: str) -> None:
    with pytest.raises(StepFailed, match=reason):
        await hostile(code)


async def test_the_step_cannot_write_files() -> None:
    # Into a folder the view shares with the host, where a file would outlive the step.
    path = os.path.join(os.path.realpath(sys.base_prefix), f"sandbox-was-here-{uuid.uuid4().hex}")
    try:
        with pytest.raises(StepFailed, match="Read-only file system"):
            await hostile("os.open(inputs['path'], os.O_CREAT | os.O_WRONLY)", {"path": path})  # the hook misses it
        opened = await hostile(
            "result = libc.open(inputs['path'].encode(), 0o101, 0o644), ctypes.get_errno()", {"path": path}
        )
        assert opened == [-1, errno.EROFS]
        assert not os.path.exists(path)
    finally:
        if os.path.exists(path):
            os.remove(path)


def test_without_the_boundary_a_tenant_step_fails_and_an_operator_step_falls_back() -> None:
    # The handler without CAP_SYS_ADMIN (a container's root, say) cannot make namespaces.
    script = textwrap.dedent("""
        import asyncio, json
        from services.handler.plugins.sandbox import Isolation, SandboxLimits, StepFailed, run_step

        async def main() -> None:
            answers = {}
            for isolation in (Isolation.REQUIRED, Isolation.PREFERRED):
                try:
                    answers[isolation.value] = await run_step("result = 6 * 7", {}, [], SandboxLimits(), isolation)
                except StepFailed as error:
                    answers[isolation.value] = f"{type(error).__name__}: {error}"
            print(json.dumps(answers))

        asyncio.run(main())
    """)
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60, preexec_fn=_drop_sys_admin
    )
    answers = json.loads(done.stdout)
    assert answers["required"].startswith("IsolationUnavailable: the sandbox's OS-level isolation could not be set up")
    assert answers["preferred"] == 42


def _drop_sys_admin() -> None:
    pr_capbset_drop, cap_sys_admin = 24, 21
    if ctypes.CDLL(None, use_errno=True).prctl(pr_capbset_drop, cap_sys_admin, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_CAPBSET_DROP")


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="system call numbers for x86_64 only")
async def test_the_step_cannot_read_keys_of_the_handlers_session_keyring() -> None:
    add_key, keyctl, keyctl_revoke, session_keyring = 248, 250, 3, -3
    libc = ctypes.CDLL(None, use_errno=True)
    name = f"sandbox-test-{uuid.uuid4().hex}".encode()
    key = libc.syscall(
        ctypes.c_long(add_key), b"user", name, b"secret", ctypes.c_size_t(6), ctypes.c_long(session_keyring)
    )
    assert key > 0, os.strerror(ctypes.get_errno())
    read = "buf = ctypes.create_string_buffer(6)\nresult = libc.syscall(ctypes.c_long(250), ctypes.c_long(11), "
    read += "ctypes.c_long(inputs['key']), buf, ctypes.c_long(6)), buf.raw.decode(errors='replace')"
    try:
        assert await hostile(read, {"key": key}, Isolation.NONE) == [6, "secret"]  # what the boundary stops
        assert (await hostile(read, {"key": key}))[0] == -1
    finally:
        libc.syscall(ctypes.c_long(keyctl), ctypes.c_long(keyctl_revoke), ctypes.c_long(key))
