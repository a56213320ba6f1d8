"""Run a real single-node Apache Kafka (KRaft) broker from Maven Central jars.

No Docker needed: the broker's jars are fetched once with Maven into a user
cache folder (see ``cache_dir``) and the broker runs as a plain ``java``
subprocess on free local ports.

Command line::

    python -m infra.kafka.launcher fetch
    python -m infra.kafka.launcher run --data-dir DIR [--port N]
"""

from __future__ import annotations

import argparse
import atexit
import base64
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from string import Template
from types import FrameType, TracebackType
from typing import IO

KAFKA_VERSION = "4.0.2"

_HERE = Path(__file__).resolve().parent
_POM = _HERE / "pom.xml"
_LOG4J_CONFIG = _HERE / "log4j2.properties"
_SERVER_TEMPLATE = _HERE / "server.properties.template"
_MARKER = ".complete"
_NODE_ID = 1
_HOST = "127.0.0.1"


# --------------------------------------------------------------------------
# Classpath (Maven download, cached per user)
# --------------------------------------------------------------------------


def cache_dir() -> Path:
    """Folder holding the broker's jars and the class-data archive."""
    override = os.environ.get("KAFKA_CACHE_DIR")
    if override:
        return Path(override).expanduser().resolve()
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg).expanduser().resolve() / "execution-tracking" / f"kafka-{KAFKA_VERSION}"


def _pom_digest() -> str:
    """Fingerprint of the pom, so editing it forces a new download."""
    return hashlib.sha256(_POM.read_bytes()).hexdigest()


def _lib_is_complete(lib: Path) -> bool:
    marker = lib / _MARKER
    try:
        return marker.read_text(encoding="utf-8").strip() == _pom_digest()
    except OSError:
        return False


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Exclusive advisory lock across processes (released on close or death)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _maven_command(output_dir: Path) -> list[str]:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError(
            "Maven ('mvn') is not on PATH: it is needed once to download the Kafka "
            f"{KAFKA_VERSION} jars (or set KAFKA_BOOTSTRAP_SERVERS to use an existing broker)."
        )
    return [
        mvn,
        "-q",
        "-B",
        "-f",
        str(_POM),
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={output_dir}",
    ]


def _download(lib: Path) -> None:
    """Copy all runtime jars into a temporary folder, then move it into place."""
    staging = lib.with_name(lib.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    result = subprocess.run(_maven_command(staging), capture_output=True, text=True, check=False)
    jars = list(staging.glob("*.jar")) if staging.is_dir() else []
    if result.returncode != 0 or not jars:
        tail = (result.stdout + result.stderr)[-4000:]
        shutil.rmtree(staging, ignore_errors=True)
        raise RuntimeError(f"Maven failed to fetch Kafka {KAFKA_VERSION} jars:\n{tail}")
    (staging / _MARKER).write_text(_pom_digest() + "\n", encoding="utf-8")
    shutil.rmtree(lib, ignore_errors=True)
    staging.rename(lib)


def ensure_classpath() -> Path:
    """Return ``<cache>/lib`` with the broker's jars, downloading them if needed."""
    lib = cache_dir() / "lib"
    if _lib_is_complete(lib):
        return lib
    with _file_lock(cache_dir() / ".download.lock"):
        if not _lib_is_complete(lib):
            # On stderr: `fetch` prints the folder on stdout, which scripts read.
            print(f"fetching the Kafka {KAFKA_VERSION} broker's jars from Maven Central (once; ~5 s)...",
                  file=sys.stderr, flush=True)  # fmt: skip
            _download(lib)
    return lib


def _classpath(lib: Path) -> str:
    """Explicit, sorted jar list (stable order, as class-data sharing requires)."""
    return os.pathsep.join(str(jar) for jar in sorted(lib.glob("*.jar")))


# --------------------------------------------------------------------------
# Java and class-data sharing
# --------------------------------------------------------------------------


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("Java ('java') is not on PATH; Kafka needs Java 17 or newer.")
    return java


def _java_fingerprint(java: str) -> str:
    """Cheap identity of the JDK (paths, sizes and mtimes of its key files)."""
    real = Path(java).resolve()
    home = real.parent.parent
    parts: list[str] = []
    for path in (real, home / "lib" / "modules", home / "lib" / "server" / "libjvm.so"):
        with contextlib.suppress(OSError):
            stat = path.stat()
            parts.append(f"{path}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _cds_archive(java: str, lib: Path) -> Path:
    """Class-data archive path, keyed to the JDK, Kafka version and classpath."""
    key = hashlib.sha256(f"{_java_fingerprint(java)}|{KAFKA_VERSION}|{_classpath(lib)}".encode()).hexdigest()[:16]
    return cache_dir() / "cds" / f"kafka-{KAFKA_VERSION}-{key}.jsa"


_CDS_QUIET = ("-Xlog:cds=off", "-Xlog:cds+dynamic=off")


def _cds_enabled() -> bool:
    """Class-data sharing is on unless KAFKA_LOCAL_CDS=0."""
    return os.environ.get("KAFKA_LOCAL_CDS", "1").strip().lower() not in ("0", "false", "no")


def _remove_stale_dumps(folder: Path, max_age: float = 3600.0) -> None:
    """Delete half-written archives left by launchers that died before stopping."""
    for dump in folder.glob("*.tmp"):
        with contextlib.suppress(OSError):
            if time.time() - dump.stat().st_mtime > max_age:
                dump.unlink()


# --------------------------------------------------------------------------
# Ports and small files in the data dir
# --------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((_HOST, 0))
        return int(sock.getsockname()[1])


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((_HOST, port))
        except OSError:
            return False
        return True


def _read_json(path: Path) -> dict[str, int]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, int)} if isinstance(data, dict) else {}


def _pick_port(requested: int | None, remembered: int | None, taken: set[int]) -> int:
    if requested is not None:
        return requested
    if remembered and remembered not in taken and _port_is_free(remembered):
        return remembered
    port = free_port()
    while port in taken:
        port = free_port()
    return port


def new_cluster_id() -> str:
    """22 characters of base64url, never starting with '-': the storage tool's argument
    parser would take such an id for an option (one start in 64 failed that way)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def _cluster_id(data_dir: Path) -> str:
    """Cluster id persisted in the data dir, so restarts reuse formatted storage."""
    path = data_dir / "cluster.id"
    with contextlib.suppress(OSError):
        existing = path.read_text(encoding="utf-8").strip()
        if existing:
            return existing
    cluster_id = new_cluster_id()
    path.write_text(cluster_id + "\n", encoding="utf-8")
    return cluster_id


def with_properties(text: str, overrides: Mapping[str, str]) -> str:
    """`text` (a .properties file) with each key of `overrides` set in place, new keys appended.

    Replaced where it stands rather than appended twice, so the generated file reads true."""
    if not overrides:
        return text
    pending = dict(overrides)
    lines = []
    for line in text.splitlines():
        key = line.split("=", 1)[0].strip()
        if "=" in line and not line.lstrip().startswith("#") and key in pending:
            line = f"{key}={pending.pop(key)}"
        lines.append(line)
    lines += [f"{key}={value}" for key, value in pending.items()]
    return "\n".join(lines) + "\n"


def _log_tail(path: Path, limit: int = 6000) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - limit))
            return handle.read().decode("utf-8", errors="replace")
    except OSError:
        return "(no log)"


# --------------------------------------------------------------------------
# Readiness probe: a raw Kafka Metadata v1 request
# --------------------------------------------------------------------------


def _metadata_request(correlation_id: int) -> bytes:
    client_id = b"kafka-local-probe"
    header = struct.pack(">hhih", 3, 1, correlation_id, len(client_id)) + client_id
    body = struct.pack(">i", 0)  # empty topic list: brokers only
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise ConnectionError("connection closed by broker")
        chunks.extend(chunk)
    return bytes(chunks)


def _parse_broker_ports(response: bytes, correlation_id: int) -> list[int]:
    """Ports of the brokers listed in a Metadata v1 response."""
    (got_id, count), offset = struct.unpack_from(">ii", response, 0), 8
    if got_id != correlation_id:
        raise ConnectionError("unexpected correlation id")
    ports: list[int] = []
    for _ in range(count):
        offset += 4  # node id
        (host_len,) = struct.unpack_from(">h", response, offset)
        offset += 2 + host_len
        (port, rack_len) = struct.unpack_from(">ih", response, offset)
        offset += 6 + max(rack_len, 0)
        ports.append(port)
    return ports


def broker_answers(port: int, host: str = _HOST, timeout: float = 2.0) -> bool:
    """True when a Kafka Metadata request on host:port lists a broker on that port."""
    correlation_id = int(time.monotonic_ns() & 0x7FFFFFFF)
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(_metadata_request(correlation_id))
            (size,) = struct.unpack(">i", _recv_exact(sock, 4))
            ports = _parse_broker_ports(_recv_exact(sock, size), correlation_id)
    except (OSError, struct.error):
        return False
    return port in ports


# --------------------------------------------------------------------------
# The broker
# --------------------------------------------------------------------------


# Runs in its own small Python process: when the launcher dies (even by SIGKILL), the
# pipe on its stdin hits EOF and it stops the broker's process group.
_WATCHDOG = """
import os, signal, sys, time
pgid = int(sys.argv[1])
signal.signal(signal.SIGINT, signal.SIG_IGN)
while os.read(0, 1):
    pass
try:
    os.killpg(pgid, signal.SIGTERM)
    for _ in range(300):
        time.sleep(0.1)
        os.killpg(pgid, 0)
    os.killpg(pgid, signal.SIGKILL)
except ProcessLookupError:
    pass
"""


class _Watchdog:
    """Stops a broker's process group if the launching Python process dies."""

    def __init__(self, pgid: int) -> None:
        read_end, self._write_end = os.pipe()
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-I", "-c", _WATCHDOG, str(pgid)],
                stdin=read_end,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            os.close(read_end)

    def close(self) -> None:
        """Release the watchdog (call after the broker has stopped)."""
        with contextlib.suppress(OSError):
            os.close(self._write_end)
        try:
            self._process.wait(5.0)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


class _EarlyExit(RuntimeError):
    """The broker process exited before it became ready."""


class LocalBroker:
    """A single-node KRaft broker+controller running as a ``java`` subprocess."""

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        controller_port: int | None = None,
        heap: str = "512m",
        *,
        properties: Mapping[str, str] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self._requested_port = port
        self._requested_controller_port = controller_port
        self.heap = heap
        self._properties = dict(properties or {})
        """Settings over the template's (a cluster's node id, voters, replication); none for one node."""
        self.port: int | None = None
        self.controller_port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._cds_dump: Path | None = None
        self._cds_target: Path | None = None
        self._used_cds = False
        self._became_ready = False
        self._dir_lock: IO[bytes] | None = None
        self._watchdog: _Watchdog | None = None

    # -- paths -------------------------------------------------------------

    @property
    def log_path(self) -> Path:
        return self.data_dir / "broker.log"

    @property
    def properties_path(self) -> Path:
        return self.data_dir / "server.properties"

    @property
    def bootstrap_servers(self) -> str:
        if self.port is None:
            raise RuntimeError("broker not started")
        return f"{_HOST}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    # -- start -------------------------------------------------------------

    def start(self, timeout: float = 90.0) -> None:
        """Start the broker and block until it answers Metadata requests."""
        if self.is_running():
            return
        self._stop_process(1.0)  # clean up after a broker that exited on its own
        deadline = time.monotonic() + timeout
        self.data_dir.mkdir(parents=True, exist_ok=True)
        lib = ensure_classpath()
        self._lock_data_dir()
        try:
            self._stop_orphan()
            self._choose_ports()
            self._write_properties()
            self._format_storage(lib, deadline)
            self._launch_with_fallback(lib, deadline)
        except BaseException:
            self.stop()
            raise
        atexit.register(self.stop)

    def _launch_with_fallback(self, lib: Path, deadline: float) -> None:
        try:
            self._launch(lib, deadline, use_cds=_cds_enabled())
        except _EarlyExit:
            if not self._used_cds:
                raise
            # Never let the class-data archive stop the broker: retry without it.
            self._launch(lib, deadline, use_cds=False)

    def _launch(self, lib: Path, deadline: float, use_cds: bool) -> None:
        self._became_ready = False
        self._spawn(lib, use_cds)
        try:
            self._wait_ready(deadline)
        except BaseException:
            self._stop_process(30.0)
            raise

    def _choose_ports(self) -> None:
        remembered = _read_json(self.data_dir / "ports.json")
        self.port = _pick_port(self._requested_port, remembered.get("port"), set())
        self.controller_port = _pick_port(
            self._requested_controller_port,
            remembered.get("controller_port"),
            {self.port},
        )
        (self.data_dir / "ports.json").write_text(
            json.dumps({"port": self.port, "controller_port": self.controller_port}) + "\n",
            encoding="utf-8",
        )

    def _write_properties(self) -> None:
        template = Template(_SERVER_TEMPLATE.read_text(encoding="utf-8"))
        text = template.substitute(
            node_id=_NODE_ID,
            port=self.port,
            controller_port=self.controller_port,
            log_dir=self.data_dir / "kraft-logs",
        )
        self.properties_path.write_text(with_properties(text, self._properties), encoding="utf-8")

    def _format_storage(self, lib: Path, deadline: float) -> None:
        """Format KRaft storage once per data dir (StorageTool, --ignore-formatted)."""
        marker = self.data_dir / ".formatted"
        if marker.exists():
            return
        java = _java()
        cds = self._cds_use_options(java, lib)
        result = self._run_storage_tool(java, lib, cds, deadline)
        if result.returncode != 0 and cds:
            result = self._run_storage_tool(java, lib, [], deadline)
        if result.returncode != 0:
            raise RuntimeError(
                f"Kafka storage format failed (exit {result.returncode}):\n{result.stdout}{result.stderr}"
            )
        marker.write_text("ok\n", encoding="utf-8")

    def _run_storage_tool(
        self, java: str, lib: Path, extra: list[str], deadline: float
    ) -> subprocess.CompletedProcess[str]:
        command = [
            java,
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            *extra,
            f"-Dlog4j2.configurationFile={_LOG4J_CONFIG}",
            "-cp",
            _classpath(lib),
            "kafka.tools.StorageTool",
            "format",
            "-t",
            _cluster_id(self.data_dir),
            "-c",
            str(self.properties_path),
            "--ignore-formatted",
        ]
        remaining = max(5.0, deadline - time.monotonic())
        return subprocess.run(command, capture_output=True, text=True, timeout=remaining, check=False)

    def _jvm_options(self, java: str, lib: Path, use_cds: bool) -> list[str]:
        options = [
            "-Xms128m",
            f"-Xmx{self.heap}",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={_LOG4J_CONFIG}",
            f"-Dkafka.logs.dir={self.data_dir}",
        ]
        return options + (self._cds_options(java, lib) if use_cds else [])

    @staticmethod
    def _cds_use_options(java: str, lib: Path) -> list[str]:
        """Options that load the class-data archive, if one exists (else none)."""
        if not _cds_enabled():
            return []
        archive = _cds_archive(java, lib)
        if not (archive.is_file() and archive.stat().st_size > 0):
            return []
        return [f"-XX:SharedArchiveFile={archive}", *_CDS_QUIET]

    def _cds_options(self, java: str, lib: Path) -> list[str]:
        """Use the class-data archive if present; otherwise record one at exit."""
        use = self._cds_use_options(java, lib)
        if use:
            return use
        archive = _cds_archive(java, lib)
        archive.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_dumps(archive.parent)
        self._cds_target = archive
        self._cds_dump = archive.with_name(f"{archive.name}.{os.getpid()}-{id(self)}.tmp")
        return [f"-XX:ArchiveClassesAtExit={self._cds_dump}", *_CDS_QUIET]

    def _spawn(self, lib: Path, use_cds: bool) -> None:
        java = _java()
        jvm_options = self._jvm_options(java, lib, use_cds)
        self._used_cds = any(option in _CDS_QUIET for option in jvm_options)
        command = [
            java,
            *jvm_options,
            "-cp",
            _classpath(lib),
            "kafka.Kafka",
            str(self.properties_path),
        ]
        with open(self.log_path, "ab") as log:
            log.write(f"\n=== launcher: starting broker at {time.ctime()} ===\n".encode())
            log.flush()
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                start_new_session=True,
            )
        (self.data_dir / "broker.pid").write_text(f"{self._process.pid}\n", encoding="utf-8")
        self._watchdog = _Watchdog(self._process.pid)

    def _wait_ready(self, deadline: float) -> None:
        assert self._process is not None and self.port is not None
        while True:
            code = self._process.poll()
            if code is not None:
                raise _EarlyExit(
                    f"Kafka broker exited with code {code} during start-up; "
                    f"tail of {self.log_path}:\n{_log_tail(self.log_path)}"
                )
            if broker_answers(self.port):
                self._became_ready = True
                return
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"Kafka broker not ready on port {self.port} in time; "
                    f"tail of {self.log_path}:\n{_log_tail(self.log_path)}"
                )
            time.sleep(0.2)

    def _lock_data_dir(self) -> None:
        """Hold an exclusive lock on the data dir until stop() (one broker per dir)."""
        if self._dir_lock is not None:
            return
        handle = open(self.data_dir / ".lock", "a+b")  # noqa: SIM115 - held until stop()
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise RuntimeError(f"{self.data_dir} is in use by another running LocalBroker / launcher") from None
        self._dir_lock = handle

    def _unlock_data_dir(self) -> None:
        handle, self._dir_lock = self._dir_lock, None
        if handle is not None:
            handle.close()

    def _stop_orphan(self) -> None:
        """Stop a broker left running on this data dir by a launcher that died.

        Called with the data-dir lock held, so no live launcher owns that broker.
        """
        try:
            pid = int((self.data_dir / "broker.pid").read_text(encoding="utf-8").strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            return
        if b"kafka.Kafka" in cmdline and str(self.properties_path).encode() in cmdline:
            _terminate_group(pid, 30.0)

    # -- stop --------------------------------------------------------------

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM the broker's process group; SIGKILL it if it does not exit in time."""
        atexit.unregister(self.stop)
        self._stop_process(timeout)
        self._unlock_data_dir()

    def _stop_process(self, timeout: float) -> None:
        process, self._process = self._process, None
        watchdog, self._watchdog = self._watchdog, None
        if process is None:
            return
        if process.poll() is None:
            _terminate_group(process.pid, timeout, process)
        if watchdog is not None:
            watchdog.close()
        with contextlib.suppress(OSError):
            (self.data_dir / "broker.pid").unlink()
        self._keep_cds_archive()

    def _keep_cds_archive(self) -> None:
        """Move a class-data archive dumped at exit into place (atomically).

        Only an archive from a broker that got ready is kept: one dumped by a broker
        that failed early would hold just part of the classes a real start loads.
        """
        dump, target = self._cds_dump, self._cds_target
        self._cds_dump = self._cds_target = None
        if dump is None or target is None:
            return
        with contextlib.suppress(OSError):
            if self._became_ready and dump.is_file() and dump.stat().st_size > 0:
                os.replace(dump, target)
        with contextlib.suppress(OSError):
            dump.unlink()

    def __enter__(self) -> LocalBroker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _terminate_group(pid: int, timeout: float, process: subprocess.Popen[bytes] | None = None) -> None:
    """SIGTERM the process group led by pid, then SIGKILL it after timeout."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
    if _wait_gone(pid, timeout, process):
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    _wait_gone(pid, 10.0, process)


def _wait_gone(pid: int, timeout: float, process: subprocess.Popen[bytes] | None) -> bool:
    if process is not None:
        try:
            process.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m infra.kafka.launcher")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("fetch", help="download the Kafka jars (once) and print their folder")
    run = commands.add_parser("run", help="run a broker until SIGINT/SIGTERM")
    run.add_argument("--data-dir", type=Path, required=True)
    run.add_argument("--port", type=int, default=None)
    run.add_argument("--controller-port", type=int, default=None)
    run.add_argument("--heap", default="512m")
    run.add_argument("--timeout", type=float, default=90.0)
    return parser.parse_args(argv)


def _run(args: argparse.Namespace) -> int:
    # A plain flag: threading.Event.set() from a signal handler can deadlock with
    # Event.wait() in the main thread.
    signals: list[int] = []

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        signals.append(signum)

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    broker = LocalBroker(args.data_dir, args.port, args.controller_port, args.heap)
    try:
        broker.start(args.timeout)
        print(f"KAFKA_BOOTSTRAP_SERVERS={broker.bootstrap_servers}", flush=True)
        while not signals:
            if not broker.is_running():
                print(f"Kafka broker died; see {broker.log_path}", file=sys.stderr)
                return 1
            time.sleep(0.5)
        return 0
    finally:
        broker.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        if args.command == "fetch":
            print(ensure_classpath(), flush=True)
            return 0
        return _run(args)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
