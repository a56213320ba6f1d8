"""Runs one untrusted pipeline step: `python -I -S sandbox_runner.py SETTINGS` in a child process.

Reads `{"code", "inputs", "results"}` as JSON on stdin, runs `code` with `inputs` and
`results` in scope, and writes `{"result": …}` or `{"error": …}` as JSON on stdout. The
step must assign `result`. SETTINGS is `{"isolate", "cpuS", "memoryBytes"}` as JSON.

With `isolate` (the process must start as root), the step runs behind an OS-level boundary
before it reads its request: new mount, network, PID, IPC, UTS and cgroup namespaces; a root
file system that is a read-only view of the interpreter and the system libraries and nothing
else (no /proc, /tmp, /etc, /root, /home, data or working directories); an unused uid and gid of
its own with no groups and no capabilities; no_new_privs; and no processes or threads beyond
itself. When any of that cannot be set up, it answers `{"isolationUnavailable": reason}`
without running the step. Either way the parent's rlimits apply (CPU, memory, file size), and an
audit hook refuses network, process creation, native libraries and writing files: a second layer
for honest mistakes, which code in the same process can disarm.
"""

import ctypes
import errno
import json
import os
import resource
import select
import signal
import socket
import sys

BLOCKED_EVENTS = (
    "socket.",
    "subprocess.Popen",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.fork",
    "os.forkpty",
    "os.kill",
    "ctypes.",
    "shutil.rmtree",
    "os.remove",
    "os.rename",
)
ISOLATION_UNAVAILABLE = "isolationUnavailable"

CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS = 0x00020000, 0x02000000, 0x04000000
CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET = 0x08000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
KEYCTL_JOIN_SESSION_KEYRING = 1
SYSCALLS = {"x86_64": {"pivot_root": 155, "keyctl": 250}, "aarch64": {"pivot_root": 41, "keyctl": 219}}
NEW_ROOT = "/tmp"  # a mount point only in the new mount namespace; the host's /tmp is untouched
SANDBOX_IDS = (1 << 30, 1 << 30)
"""Each run takes a random uid (and gid) in [first, first + span), which no account has: no two steps share
a user keyring or a process count, and no file outside belongs to them."""


class IsolationError(Exception):
    """The boundary could not be set up; the step must not run."""


def _guard(event: str, args: tuple[object, ...]) -> None:
    if event.startswith(BLOCKED_EVENTS):
        raise PermissionError(f"not allowed in a pipeline step: {event}")
    if event == "open" and len(args) > 1 and isinstance(args[1], str) and set(args[1]) & set("wax+"):
        raise PermissionError("not allowed in a pipeline step: writing files")


def main() -> None:
    settings = json.loads(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # neither the step nor its watcher ever dumps core
    if settings["isolate"]:
        try:
            _isolate()  # returns only in the isolated child
        except Exception as error:  # whatever failed, the step must not run
            _write({ISOLATION_UNAVAILABLE: f"{type(error).__name__}: {error}"})
            return
    _limit(settings["cpuS"], settings["memoryBytes"])
    _run_step()


def _run_step() -> None:
    request = json.loads(sys.stdin.read())
    sys.addaudithook(_guard)
    scope = {"inputs": request["inputs"], "results": request["results"], "__name__": "__step__"}
    try:
        exec(compile(request["code"], "<step>", "exec"), scope)
        if "result" not in scope:
            raise NameError("the step must assign `result`")
        text = json.dumps({"result": scope["result"]})
    except BaseException as error:  # the step's own failure, reported, never raised
        text = json.dumps({"error": f"{type(error).__name__}: {error}"})
    sys.stdout.write(text)
    sys.stdout.flush()


def _write(answer: dict[str, str]) -> None:
    sys.stdout.write(json.dumps(answer))
    sys.stdout.flush()


def _limit(cpu_s: int, memory_bytes: int) -> None:
    """Hard limits the step cannot raise again."""
    for limit, value in [
        (resource.RLIMIT_CPU, cpu_s),
        (resource.RLIMIT_AS, memory_bytes),
        (resource.RLIMIT_FSIZE, 0),
    ]:
        resource.setrlimit(limit, (value, value))


# -- the OS-level boundary ----------------------------------------------------------------


def _isolate() -> None:
    """Enter new namespaces and fork: the child, PID 1 there, returns isolated; the parent never returns."""
    libc = _libc()
    os.umask(0o022)  # the view's directories must be traversable by the step's uid
    _check(libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP))
    alive_r, alive_w = os.pipe()
    pid = os.fork()
    if pid:
        os.close(alive_r)
        _relay_exit(pid)
    os.close(alive_w)
    _check(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0))  # set again after the uid changes
    syscalls = SYSCALLS.get(os.uname().machine)
    if syscalls is None:
        raise IsolationError(f"no system call numbers known for {os.uname().machine}")
    _enter_view(libc, syscalls["pivot_root"])
    socket.sethostname("sandbox")
    _drop_privileges(libc)
    _leave_session_keyring(libc, syscalls["keyctl"])
    if select.select([alive_r], [], [], 0)[0]:  # EOF: the parent died before the death signal was armed
        os._exit(1)
    os.close(alive_r)


def _relay_exit(pid: int) -> None:
    """In the parent: only the child keeps the pipes, so its end is the end of the step's output."""
    os.close(0)
    os.close(1)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(status))  # die the same way, so the handler reports why
    os._exit(os.waitstatus_to_exitcode(status))


def _enter_view(libc: ctypes.CDLL, pivot_root: int) -> None:
    """Make a read-only root of just the interpreter and the system libraries, and pivot into it."""
    _check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None))  # nothing propagates back to the host
    _check(libc.mount(b"tmpfs", NEW_ROOT.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, b"size=64k,mode=0755"))
    for path in _visible_paths():
        _show(libc, path)
    os.chdir(NEW_ROOT)
    _check(libc.syscall(ctypes.c_long(pivot_root), b".", b"."))  # the old root is stacked on the new one...
    _check(libc.umount2(b".", MNT_DETACH))  # ...and detached, host and all
    os.chdir("/")
    _check(libc.mount(None, b"/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, None))


def _visible_paths() -> list[str]:
    """/usr (shared libraries), the interpreter's prefix, and /lib and /lib64 (links where they are links)."""
    paths = ["/usr", *{os.path.realpath(sys.base_prefix), os.path.realpath(sys.base_exec_prefix)}]
    paths += [path for path in ("/lib", "/lib64") if os.path.lexists(path)]
    return sorted(set(paths))


def _show(libc: ctypes.CDLL, path: str) -> None:
    target = NEW_ROOT + path
    if os.path.islink(path):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.symlink(os.readlink(path), target)
        return
    if os.path.exists(target):  # already shown, e.g. a prefix under /usr
        return
    os.makedirs(target)
    _check(libc.mount(path.encode(), target.encode(), None, MS_BIND, None))
    flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV
    _check(libc.mount(None, target.encode(), None, flags, None))


def _drop_privileges(libc: ctypes.CDLL) -> None:
    first, span = SANDBOX_IDS
    uid = first + int.from_bytes(os.urandom(4), "big") % span
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    try:
        os.setuid(0)
    except PermissionError:
        pass
    else:
        raise IsolationError("root could be regained after dropping it")
    _check(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0))  # changing uid cleared it
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (1, 1))  # itself: no fork, no thread
    resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))
    resource.setrlimit(resource.RLIMIT_MSGQUEUE, (0, 0))
    resource.setrlimit(resource.RLIMIT_MEMLOCK, (0, 0))


def _leave_session_keyring(libc: ctypes.CDLL, keyctl: int) -> None:
    """Keys in the handler's session keyring are readable by whoever holds it, whatever their uid: start afresh."""
    joined = libc.syscall(ctypes.c_long(keyctl), ctypes.c_long(KEYCTL_JOIN_SESSION_KEYRING), None)
    if joined < 0 and ctypes.get_errno() != errno.ENOSYS:  # ENOSYS: a kernel without keyrings
        _check(joined)


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
    libc.unshare.argtypes = [ctypes.c_int]
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    return libc


def _check(result: int) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


if __name__ == "__main__":
    main()
