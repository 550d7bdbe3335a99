"""One worker process as sqlaquiz sees it: its environment, its folder, one line each way.

Starting one needs only the standard library's lightest modules (json is imported when the
first request goes), so that a one-shot `sqlaquiz run` starts its worker before it has even
loaded Typer (quiz/commands/early.py).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import tempfile

TYPE_CHECKING = False  # not typing's: importing typing here would delay the worker's start
if TYPE_CHECKING:
    from typing import Any

    from quiz.sandbox.protocol import RunRequest

# Every variable of ours starts with this: the home and decks (quiz.paths), the database URLs
# and the server's URL with its password (quiz.sandbox.engines), the default database, the clock.
OUR_PREFIX = "SQLAQUIZ_"


class WorkerError(RuntimeError):
    """The worker process itself failed (not the example)."""


def worker_env() -> dict[str, str]:
    """The example's environment: ours minus anything that points at the user's progress."""
    # Nothing that points at the user's progress or decks, nor at a database: a run's database
    # comes only from its RunRequest (a SQLite run must not find the user's own URL).
    env = {k: v for k, v in os.environ.items() if not k.startswith(OUR_PREFIX)}
    env["MALLOC_ARENA_MAX"] = "2"  # keeps the address space, and so the memory cap, predictable
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("PYTHONSTARTUP", None)
    # The worker must find the quiz package even when run from a source checkout.
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    return env


def end_strays(mark: bytes) -> None:
    """Linux: kill every process whose environment carries this worker's mark. The worker ends
    whatever a run starts; only if an example killed the worker itself can something it started
    (a daemon in a new session) still be running, and it still has the worker's environment."""
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit() and int(e) != os.getpid()]
    except OSError:
        return
    for entry in entries:
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                environment = f.read().split(b"\0")
        except OSError:
            continue
        if mark in environment:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(entry), signal.SIGKILL)


def _exits_within(proc: subprocess.Popen[str], seconds: float) -> bool:
    """Wait for the process to exit; Linux tells the moment it does, where Popen's wait with a
    timeout polls (measured: up to 10 ms late when a worker exits in 20 ms)."""
    if proc.poll() is not None:  # already reaped: its pid may be another process's by now
        return True
    try:
        pidfd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):  # not Linux 5.3+, or already reaped
        try:
            proc.wait(timeout=seconds)
            return True
        except subprocess.TimeoutExpired:
            return False
    try:
        exited, _, _ = select.select([pidfd], [], [], seconds)
    finally:
        os.close(pidfd)
    if exited:
        proc.wait()
    return bool(exited)


class WorkerProcess:
    """One worker (`python -m quiz.sandbox.worker`); one request at a time.

    `warm=False` starts a cold worker (see quiz/sandbox/worker.py). A request may be sent ahead
    (`send`) and its reply read later (`receive`)."""

    def __init__(
        self, fork: bool, database: str = "sqlite", warm: bool = True, sandbox: bool = True
    ) -> None:
        args = [sys.executable, "-m", "quiz.sandbox.worker", "--database", database]
        args += [] if fork else ["--no-fork"]
        args += [] if warm else ["--cold"]
        args += [] if sandbox else ["--no-sandbox"]  # its runs get no namespaces either
        self.fork, self.database, self.warm, self.sandbox = fork, database, warm, sandbox
        # An empty folder as the worker's cwd: `-m` puts the cwd first on sys.path, and a
        # learner's scratch `sqlalchemy.py` must not replace the real library.
        self.home = tempfile.TemporaryDirectory(
            prefix="sqlaquiz-worker-",
            ignore_cleanup_errors=True,  # a process an example left may still write there
        )
        # Every run's folder and result file (and the example's own temporary files) go below
        # the worker's folder, so they go with it even if an example kills the worker.
        self.temp = temp = os.path.join(self.home.name, "tmp")
        os.mkdir(temp)
        self.proc = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**worker_env(), "TMPDIR": temp},
            cwd=self.home.name,
            start_new_session=True,  # Ctrl-C in the terminal reaches sqlaquiz, not the worker
            text=True,
            bufsize=1,
        )
        self.busy = False
        self.pending: RunRequest | None = None  # sent, its reply not read yet

    def send(self, request: RunRequest) -> None:
        """Hand the worker a request; it starts at once (or as soon as the worker is ready)."""
        import json

        assert self.proc.stdin is not None
        self.busy = True  # stays True until the reply is read: close() then stops the run
        self.pending = request
        try:
            self.proc.stdin.write(json.dumps(request.to_dict()) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise WorkerError(f"the example worker stopped: {exc}") from None

    def receive(self) -> dict[str, Any]:
        """The reply to the request sent."""
        import json

        assert self.proc.stdout is not None
        try:
            line = self.proc.stdout.readline()
        except OSError as exc:
            raise WorkerError(f"the example worker stopped: {exc}") from None
        if not line:
            raise WorkerError("the example worker stopped unexpectedly")
        try:
            reply: dict[str, Any] = json.loads(line)
        except json.JSONDecodeError:
            raise WorkerError("the example worker sent a garbled reply") from None
        self.busy, self.pending = False, None
        return reply

    def close(self, stop: bool = False) -> None:
        """End the worker: at once if it is running an example or `stop` (nobody will use it),
        else once it has finished its own tidying up; then whatever its runs left."""
        if (self.busy or stop) and self.proc.poll() is None:
            self.proc.terminate()  # the worker kills the example it is running, then exits
        if self.proc.stdin:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        if not _exits_within(self.proc, 0.5 if self.busy else 0.2):
            self.proc.kill()  # idle (maybe still importing): nothing to lose
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        end_strays(f"TMPDIR={self.temp}".encode())
        self.home.cleanup()
