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
from dataclasses import asdict, dataclass, field
from typing import Any

from quiz.paths import DECKS_ENV, HOME_ENV

DEFAULT_TIMEOUT = 10.0
DEFAULT_MEMORY_MB = 1024
OUTPUT_LIMIT = 1_000_000


@dataclass(frozen=True)
class Statement:
    """One statement the example executed: sent to the database driver, or stopped before."""

    n: int | None  # numbered in the order the driver got them; None when it never got this one
    sql: str
    params: Any
    ms: float
    many: bool = False
    load: str | None = None  # "lazy", "selectin" or "subquery" when a relationship load sent it
    relationship: str | None = None  # e.g. "User.posts"
    failed: bool = False  # it raised (in the driver, or on its way there when not sent)
    sent: bool = True  # the driver was asked to run it; only these count as queries
    error: str | None = None  # why it failed, one line ("InvalidRequestError: A value is ...")
    thread: str = "MainThread"
    duplicate_of: int | None = None
    similar_to: int | None = None


@dataclass(frozen=True)
class ExampleError:
    """An exception raised by the example, in the example's own line numbering."""

    type: str
    qualname: str
    message: str
    line: int | None

    def matches(self, expected: str) -> bool:
        return expected in (self.type, self.qualname)


@dataclass(frozen=True)
class CellResult:
    title: str
    first_line: int
    queries: int
    statements: list[Statement]
    stdout: str
    stderr: str
    warnings: list[dict[str, Any]]
    seconds: float
    error: ExampleError | None = None
    statements_truncated: bool = False
    n_plus_one: list[dict[str, Any]] = field(default_factory=list)
    warnings_dropped: int = 0

    @property
    def lazy_loads(self) -> int:
        return sum(1 for s in self.statements if s.load == "lazy" and s.sent)

    @property
    def not_sent(self) -> list[Statement]:
        """Statements that failed before the driver got them (shown, never counted)."""
        return [s for s in self.statements if not s.sent]


@dataclass(frozen=True)
class RunResult:
    """What really happened when an example ran."""

    cells: list[CellResult]
    finished: bool
    timed_out: bool
    crash: str | None
    output_dropped: int
    wall_seconds: float

    @property
    def queries(self) -> int:
        return sum(c.queries for c in self.cells)

    @property
    def error(self) -> ExampleError | None:
        return next((c.error for c in self.cells if c.error is not None), None)

    @property
    def ok(self) -> bool:
        return self.finished and self.error is None and self.crash is None

    def cell(self, title: str) -> CellResult | None:
        return next((c for c in self.cells if c.title == title), None)

    def problem(self) -> str | None:
        """One line for what went wrong, or None."""
        if self.crash:
            return self.crash
        err = self.error
        if err is not None:
            where = f" at line {err.line}" if err.line else ""
            return f"{err.type}{where}: {err.message}"
        return None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunResult:
        cells = []
        for c in data["cells"]:
            err = c.get("error")
            cells.append(
                CellResult(
                    title=c["title"],
                    first_line=c["first_line"],
                    queries=c["queries"],
                    statements=[Statement(**s) for s in c["statements"]],
                    stdout=c["stdout"],
                    stderr=c["stderr"],
                    warnings=list(c["warnings"]),
                    seconds=c["seconds"],
                    error=ExampleError(**err) if err else None,
                    statements_truncated=c.get("statements_truncated", False),
                    n_plus_one=list(c.get("n_plus_one", [])),
                    warnings_dropped=c.get("warnings_dropped", 0),
                )
            )
        return cls(
            cells=cells,
            finished=data["finished"],
            timed_out=data["timed_out"],
            crash=data["crash"],
            output_dropped=data.get("output_dropped", 0),
            wall_seconds=data.get("wall_seconds", 0.0),
        )


class WorkerError(RuntimeError):
    """The worker process itself failed (not the example)."""


def _worker_env() -> dict[str, str]:
    """The example's environment: ours minus anything that points at the user's progress."""
    env = {k: v for k, v in os.environ.items() if k not in (HOME_ENV, DECKS_ENV)}
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

    def __init__(self, fork: bool) -> None:
        args = [sys.executable, "-m", "quiz.sandbox.worker"] + ([] if fork else ["--no-fork"])
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

    def request(self, payload: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.busy = True  # stays True if Ctrl-C interrupts the wait: close() then stops the run
        try:
            self.proc.stdin.write(json.dumps(payload) + "\n")
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
    ) -> None:
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
        worker = _Worker(self.fork)
        self._all.append(worker)
        return worker

    def _take(self) -> _Worker:
        with self._lock:
            return self._idle.pop() if self._idle else self._spawn()

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            self._idle.append(worker)

    def run(self, code: str, filename: str = "example.py", batch: bool = False) -> RunResult:
        """Run one example and report what happened (`batch`: more runs follow at once)."""
        payload = {
            "code": code,
            "filename": filename,
            "batch": batch,
            "timeout": self.timeout,
            "memory_bytes": self.memory_mb * 2**20 if self.memory_mb else None,
            "output_limit": OUTPUT_LIMIT,
        }
        worker = self._take()
        try:
            reply = worker.request(payload)
        except WorkerError as exc:
            # Not retried: the example itself may have killed the worker. The next run starts
            # a fresh one.
            worker.close()
            with self._lock:
                if worker in self._all:  # close() may have taken it already
                    self._all.remove(worker)
            return RunResult(
                [],
                finished=False,
                timed_out=False,
                crash=str(exc),
                output_dropped=0,
                wall_seconds=0.0,
            )
        self._give_back(worker)
        return RunResult.from_dict(reply)

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
