"""Restate's server from npm and its Python SDK from PyPI, installed once into a user cache folder.

Nothing goes into the repo or the project's venv: the server into `<cache>/server-<version>`
(`npm install --prefix`), the SDK into its own venv `<cache>/sdk-<version>`. A `.complete`
marker is written last, so an interrupted install is redone rather than half used.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SERVER_PACKAGE = "@restatedev/restate-server"
SERVER_VERSION = "1.7.12"
"""1.7, the version of the issue's figures; the newest 1.7 release the npm registry serves."""
SDK_VERSION = "1.2.0"
SDK_REQUIREMENTS = (f"restate-sdk=={SDK_VERSION}", "hypercorn==0.18.0", "uvloop==0.23.0")
"""uvloop at the project's own pin, so the Python side runs on the same event loop as ours."""
MARKER = ".complete"
INSTALL_TIMEOUT_S = 600.0


class RestateUnavailable(Exception):
    """Restate cannot be installed or started here; the message says why."""


@dataclass(frozen=True)
class Installed:
    server: Path
    """The native restate-server binary (not npm's node wrapper, which would sit between our
    signals and the server)."""
    python: Path
    """The Restate venv's interpreter, to run `noop_service.py`."""


def cache_dir() -> Path:
    override = os.environ.get("RESTATE_CACHE_DIR")
    if override:
        return Path(override).expanduser().resolve()
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg).expanduser().resolve() / "execution-tracking" / "restate"


def ensure_installed(root: Path | None = None) -> Installed:
    root = root or cache_dir()
    with _file_lock(root / ".lock"):
        server = _ensure_server(root / f"server-{SERVER_VERSION}")
        python = _ensure_sdk(root / f"sdk-{SDK_VERSION}")
    return Installed(server=server, python=python)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Two benches started at once must not install into the same folder together."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        yield


def _ensure_server(prefix: Path) -> Path:
    if not _complete(prefix, SERVER_VERSION):
        npm = shutil.which("npm")
        if npm is None:
            raise RestateUnavailable("npm is not installed, so the Restate server cannot be fetched")
        _fresh(prefix)
        # --ignore-scripts: the binary comes as an optional platform package and needs no
        # install script; the only script in the tree is a download-analytics ping.
        flags = ["--no-audit", "--no-fund", "--ignore-scripts"]
        _run([npm, "install", "--prefix", str(prefix), *flags, f"{SERVER_PACKAGE}@{SERVER_VERSION}"], "npm install")
    binary = _server_binary(prefix)
    # Run it every time: a binary that installs but cannot run here is the other way to fail.
    _run([str(binary), "--version"], "running restate-server --version")
    _mark(prefix, SERVER_VERSION)
    return binary


def _server_binary(prefix: Path) -> Path:
    # The platform package's name depends on the machine (restate-server-linux-x64, ...-arm64).
    found = sorted((prefix / "node_modules" / "@restatedev").glob("restate-server-*/bin/restate-server"))
    if not found:
        raise RestateUnavailable(f"npm installed no restate-server binary for this platform under {prefix}")
    return found[0]


def _ensure_sdk(venv: Path) -> Path:
    python = venv / "bin" / "python"
    wanted = " ".join(SDK_REQUIREMENTS)
    if not _complete(venv, wanted):
        _fresh(venv)
        _run([sys.executable, "-m", "venv", str(venv)], "creating the Restate SDK venv")
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        _run([*pip, *SDK_REQUIREMENTS], "pip install of the Restate SDK")
        _mark(venv, wanted)
    return python


def _complete(folder: Path, what: str) -> bool:
    try:
        return (folder / MARKER).read_text(encoding="utf-8").strip() == what
    except OSError:
        return False


def _mark(folder: Path, what: str) -> None:
    (folder / MARKER).write_text(what + "\n", encoding="utf-8")


def _fresh(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)


def _run(command: list[str], what: str) -> None:
    try:
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
    except subprocess.CalledProcessError as error:
        tail = (error.stderr or error.stdout or "").strip().splitlines()[-5:]
        raise RestateUnavailable(f"{what} failed (exit {error.returncode}): {' | '.join(tail)}") from error
    except (OSError, subprocess.TimeoutExpired) as error:
        raise RestateUnavailable(f"{what} failed: {error}") from error
