"""Runs examples in contained worker processes and returns typed RunResults."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from quiz.paths import DECKS_ENV, HOME_ENV
from quiz.sandbox import engines
from quiz.sandbox.protocol import (
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT,
    CellResult,
    ExampleError,
    RunRequest,
    RunResult,
    Statement,
)

__all__ = ["CellResult", "ExampleError", "RunResult", "Runner", "Statement", "WorkerError"]


class WorkerError(RuntimeError):
    """The worker process itself failed (not the example)."""


def _worker_env() -> dict[str, str]:
    """The example's environment: ours minus anything that points at the user's progress."""
    # Nothing that points at the user's progress or decks, nor at a database: a run's database
    # comes only from its RunRequest (a SQLite run must not find the user's own URL).
    # Every SQLAQUIZ_ variable is ours (home, decks, the server URL with its password).
    hidden = {HOME_ENV, DECKS_ENV, engines.URL_ENV, engines.ASYNC_URL_ENV, engines.SERVER_ENV}
    env = {k: v for k, v in os.environ.items() if k not in hidden and not k.startswith("SQLAQUIZ_")}
    env["MALLOC_ARENA_MAX"] = "2"  # keeps the address space, and so the memory cap, predictable
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("PYTHONSTARTUP", None)
    # The worker must find the quiz package even when run from a source checkout.
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    return env


def _end_strays(mark: bytes) -> None:
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


class _Worker:
    """One warm worker process; one request at a time."""

    def __init__(self, fork: bool, database: str = "sqlite") -> None:
        args = [sys.executable, "-m", "quiz.sandbox.worker", "--database", database]
        args += [] if fork else ["--no-fork"]
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
            env={**_worker_env(), "TMPDIR": temp},
            cwd=self.home.name,
            start_new_session=True,  # Ctrl-C in the terminal reaches sqlaquiz, not the worker
            text=True,
            bufsize=1,
        )
        self.busy = False

    def request(self, request: RunRequest) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.busy = True  # stays True if Ctrl-C interrupts the wait: close() then stops the run
        try:
            self.proc.stdin.write(json.dumps(request.to_dict()) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except (BrokenPipeError, OSError) as exc:
            raise WorkerError(f"the example worker stopped: {exc}") from None
        if not line:
            raise WorkerError("the example worker stopped unexpectedly")
        try:
            reply: dict[str, Any] = json.loads(line)
        except json.JSONDecodeError:
            raise WorkerError("the example worker sent a garbled reply") from None
        self.busy = False
        return reply

    def close(self) -> None:
        if self.busy and self.proc.poll() is None:
            self.proc.terminate()  # the worker kills the example it is running, then exits
        if self.proc.stdin:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=0.5 if self.busy else 0.2)
        except subprocess.TimeoutExpired:
            self.proc.kill()  # idle (maybe still importing): nothing to lose
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        _end_strays(f"TMPDIR={self.temp}".encode())
        self.home.cleanup()


class Runner:
    """Runs examples; keeps warm workers between runs. Use as a context manager."""

    def __init__(
        self,
        timeout: float = DEFAULT_TIMEOUT,
        memory_mb: int | None = DEFAULT_MEMORY_MB,
        workers: int = 1,
        fork: bool | None = None,
        database: engines.Database | None = None,
        sandbox: bool | None = None,
        owns_database: bool = False,
    ) -> None:
        self.owns_database = owns_database  # close() closes the database engine too
        # SQLAQUIZ_SANDBOX=off turns Landlock off (to debug an example that needs more access)
        self.sandbox = os.environ.get("SQLAQUIZ_SANDBOX") != "off" if sandbox is None else sandbox
        self.database: engines.Database = database or engines.SQLite()
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.size = max(1, workers)
        self.fork = hasattr(os, "fork") if fork is None else fork
        self._idle: list[_Worker] = []
        self._all: list[_Worker] = []
        self._lock = threading.Lock()

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start one worker now, so the first run does not pay for the imports."""
        with self._lock:
            if not self._all:
                self._idle.append(self._spawn())

    def _spawn(self) -> _Worker:
        worker = _Worker(self.fork, self.database.name)
        self._all.append(worker)
        return worker

    def _take(self) -> _Worker:
        with self._lock:
            return self._idle.pop() if self._idle else self._spawn()

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            self._idle.append(worker)

    def run(self, code: str, filename: str = "example.py", batch: bool = False) -> RunResult:
        """Run one example on a fresh database and report what happened (`batch`: more runs
        follow at once)."""
        name = self.database.name
        with self.database.provision() as env:
            request = RunRequest(
                code=code,
                filename=filename,
                batch=batch,
                timeout=self.timeout,
                memory_bytes=self.memory_mb * 2**20 if self.memory_mb else None,
                env=env,
                sandbox=self.sandbox,
            )
            worker = self._take()
            try:
                reply = worker.request(request)
            except WorkerError as exc:
                # Not retried: the example itself may have killed the worker. The next run
                # starts a fresh one.
                worker.close()
                with self._lock:
                    if worker in self._all:  # close() may have taken it already
                        self._all.remove(worker)
                return RunResult.crashed(str(exc), name)
            self._give_back(worker)
        return RunResult.from_dict({**reply, "database": name})

    def run_many(self, codes: list[tuple[str, str]]) -> list[RunResult]:
        """Run (code, filename) pairs spread over the workers, results in order."""
        with ThreadPoolExecutor(max_workers=self.size) as pool:
            return list(pool.map(lambda item: self.run(item[0], item[1], batch=True), codes))

    def close(self) -> None:
        """Stop every worker, also one still running an example (after Ctrl-C)."""
        with self._lock:
            workers, self._all, self._idle = self._all, [], []
        for worker in workers:
            worker.close()
        if self.owns_database:
            self.database.close()
