"""Runs one untrusted pipeline step; executed as `python -I sandbox_runner.py` in a child process.

Reads `{"code", "inputs", "results"}` as JSON on stdin, runs `code` with `inputs` and
`results` in scope, and writes `{"result": …}` or `{"error": …}` as JSON on stdout. The
step must assign `result`. Before the code runs, an audit hook (which the code cannot
remove) refuses network, process creation, native libraries and writing files; the parent
also sets CPU, memory and file limits and a wall-clock deadline.
"""

import json
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


def _guard(event: str, args: tuple[object, ...]) -> None:
    if event.startswith(BLOCKED_EVENTS):
        raise PermissionError(f"not allowed in a pipeline step: {event}")
    if event == "open" and len(args) > 1 and isinstance(args[1], str) and set(args[1]) & set("wax+"):
        raise PermissionError("not allowed in a pipeline step: writing files")


def main() -> None:
    request = json.loads(sys.stdin.read())
    out = sys.stdout
    sys.addaudithook(_guard)
    scope = {"inputs": request["inputs"], "results": request["results"], "__name__": "__step__"}
    try:
        exec(compile(request["code"], "<step>", "exec"), scope)
        if "result" not in scope:
            raise NameError("the step must assign `result`")
        answer = {"result": scope["result"]}
        text = json.dumps(answer)
    except BaseException as error:  # the step's own failure, reported, never raised
        text = json.dumps({"error": f"{type(error).__name__}: {error}"})
    out.write(text)
    out.flush()


if __name__ == "__main__":
    main()
