"""Runs examples in contained worker processes and returns typed RunResults."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from quiz.sandbox import engines
from quiz.sandbox.process import WorkerError, WorkerProcess
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


def sandbox_wanted() -> bool:
    """SQLAQUIZ_SANDBOX=off turns Landlock off (to debug an example that needs more access)."""
    return os.environ.get("SQLAQUIZ_SANDBOX") != "off"


class Runner:
    """Runs examples; keeps workers between runs. Use as a context manager.

    Warm workers (the default) make every run after the first fast: sessions, `validate --run`.
    `warm=False` starts cold ones instead, for a one-shot run, which could not amortise a warm
    worker's imports and priming (quiz/sandbox/worker.py). A cold worker started ahead of time,
    maybe with its request already sent (quiz/commands/early.py), is `prestarted`: the runner
    uses it if it is one of its own kind, and its request if it is the one asked for."""

    def __init__(
        self,
        timeout: float = DEFAULT_TIMEOUT,
        memory_mb: int | None = DEFAULT_MEMORY_MB,
        workers: int = 1,
        fork: bool | None = None,
        database: engines.Database | None = None,
        sandbox: bool | None = None,
        owns_database: bool = False,
        warm: bool = True,
        prestarted: WorkerProcess | None = None,
    ) -> None:
        self.owns_database = owns_database  # close() closes the database engine too
        self.sandbox = sandbox_wanted() if sandbox is None else sandbox
        self.database: engines.Database = database or engines.SQLite()
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.size = max(1, workers)
        self.fork = hasattr(os, "fork") if fork is None else fork
        self.warm = warm
        self._idle: list[WorkerProcess] = []
        self._all: list[WorkerProcess] = []
        self._lock = threading.Lock()
        if prestarted is not None:
            kind = (prestarted.database, prestarted.warm, prestarted.fork, prestarted.sandbox)
            if kind == (self.database.name, self.warm, self.fork, self.sandbox):
                self._all.append(prestarted)
                self._idle.append(prestarted)
            else:
                prestarted.close(stop=True)

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start one worker now, so the first run does not pay for the imports."""
        with self._lock:
            if not self._all:
                self._idle.append(self._spawn())

    def _spawn(self) -> WorkerProcess:
        worker = WorkerProcess(self.fork, self.database.name, warm=self.warm, sandbox=self.sandbox)
        self._all.append(worker)
        return worker

    def _take(self) -> WorkerProcess:
        with self._lock:
            return self._idle.pop() if self._idle else self._spawn()

    def _give_back(self, worker: WorkerProcess) -> None:
        with self._lock:
            self._idle.append(worker)

    def _drop(self, worker: WorkerProcess) -> None:
        worker.close(stop=True)
        with self._lock:
            if worker in self._all:  # close() may have taken it already
                self._all.remove(worker)

    def request_for(
        self, code: str, filename: str = "example.py", env: dict[str, str] | None = None,
        batch: bool = False, script: str | None = None,
    ) -> RunRequest:  # fmt: skip
        """The request this runner sends for one run (`env`: the run's database; `script`: the
        path of a script run as `python script.py` runs it, from the current folder)."""
        script_dir = cwd = None
        if script is not None:
            script_dir, cwd = os.path.dirname(os.path.abspath(script)), os.getcwd()
        return RunRequest(
            script_dir=script_dir,
            cwd=cwd,
            code=code,
            filename=filename,
            batch=batch,
            timeout=self.timeout,
            memory_bytes=self.memory_mb * 2**20 if self.memory_mb else None,
            env=env or {},
            sandbox=self.sandbox,
        )

    def run(
        self,
        code: str,
        filename: str = "example.py",
        batch: bool = False,
        meanwhile: Callable[[], object] | None = None,
        script: str | None = None,
    ) -> RunResult:
        """Run one example on a fresh database and report what happened (`batch`: more runs
        follow at once; `meanwhile`: called while the example runs, e.g. to draw its code;
        `script`: see `request_for`)."""
        name = self.database.name
        with self.database.provision() as env:
            request = self.request_for(code, filename, env, batch, script)
            worker = self._take()
            if worker.pending is not None and worker.pending != request:
                self._drop(worker)  # sent ahead for a run that is not this one
                worker = self._take()
            try:
                if worker.pending is None:
                    worker.send(request)
                if meanwhile is not None:
                    meanwhile()
                reply = worker.receive()
            except WorkerError as exc:
                # Not retried: the example itself may have killed the worker. The next run
                # starts a fresh one.
                self._drop(worker)
                return RunResult.crashed(str(exc), name)
            except KeyboardInterrupt:  # Ctrl-C: the example stops now, the next run gets
                self._drop(worker)  # a fresh worker (a session goes on after it)
                raise
            self._give_back(worker)
        return RunResult.from_dict({**reply, "database": name})

    def run_many(self, codes: list[tuple[str, str]]) -> list[RunResult]:
        """Run (code, filename) pairs spread over the workers, results in order."""
        from concurrent.futures import ThreadPoolExecutor

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
