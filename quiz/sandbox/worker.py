"""The worker: forks one contained child per run.

A warm worker (the default: sessions, `validate --run`) imports SQLAlchemy, FastAPI and Pydantic
once and primes them, so that each run starts from an interpreter that already did that work. A
cold worker (`--cold`: a one-shot `sqlaquiz run`, which could never amortise that) imports only
what capture needs, SQLAlchemy's ORM, and lets the example import the rest, as `python` would.

Protocol: one JSON request per line on stdin, one JSON reply per line on stdout.
A child runs in its own process group and temporary folder, with a memory cap, stdin and the
real stdout/stderr pointed at /dev/null, and writes its cell records to a result file as it goes,
so a crash or a kill still leaves the cells that finished. Where `os.fork` does not exist, each
run is a fresh `python -m quiz.sandbox.worker --child` process instead (slower, equally contained).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from quiz.sandbox import landlock, namespaces
from quiz.sandbox.protocol import RunRequest

try:
    import resource
except ImportError:  # not on this platform: no memory cap, the timeout still holds
    resource = None  # type: ignore[assignment]

WARM_MODULES = (
    "ctypes",
    "sqlite3",
    "asyncio",
    "sqlalchemy",
    "sqlalchemy.orm",
    "sqlalchemy.ext.asyncio",
    "sqlalchemy.ext.hybrid",
    "sqlalchemy.ext.associationproxy",
    "sqlalchemy.dialects.sqlite",
    "pydantic",
    "fastapi",
    "fastapi.testclient",
    "aiosqlite",
    "alembic.command",
    "alembic.config",
)
# Warmed only in a worker for PostgreSQL runs (`--database postgresql`).
POSTGRES_MODULES = ("psycopg", "asyncpg", "sqlalchemy.dialects.postgresql")


# Run once in the worker before any fork: SQLAlchemy, FastAPI and Pydantic initialise much of
# their machinery lazily on first use, and a child that starts from a primed worker does not pay
# for that again on every run.
PRIMER = """
import asyncio
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict
from sqlalchemy import ForeignKey, create_engine, func, insert, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import (DeclarativeBase, Mapped, Session, joinedload, mapped_column,
                            relationship, selectinload, sessionmaker, subqueryload)
from sqlalchemy.pool import StaticPool

class Base(DeclarativeBase):
    pass

class Parent(Base):
    __tablename__ = "parent"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None]
    children: Mapped[list["Child"]] = relationship(back_populates="parent",
                                                   cascade="all, delete-orphan")

class Child(Base):
    __tablename__ = "child"
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("parent.id"))
    parent: Mapped[Parent] = relationship(back_populates="children")

class ChildOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int

class ParentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    children: list[ChildOut]

engine = create_engine("sqlite://", poolclass=StaticPool,
                       connect_args={"check_same_thread": False})
Base.metadata.create_all(engine)
SessionLocal = sessionmaker(engine)
with SessionLocal() as s:
    s.add_all([Parent(name="p", children=[Child(), Child()]) for _ in range(3)])
    s.commit()
    s.execute(insert(Parent), [{"name": "a"}, {"name": "b"}])
    s.execute(update(Parent).where(Parent.name == "a").values(name="c"))
    s.scalar(select(func.count()).select_from(Parent))
    for option in (selectinload, joinedload, subqueryload):
        s.scalars(select(Parent).options(option(Parent.children))).unique().all()
    [len(p.children) for p in s.scalars(select(Parent))]
    s.get(Parent, 1)
    s.rollback()

app = FastAPI()

def get_db():
    with SessionLocal() as db:
        yield db

@app.get("/parents/{pid}", response_model=ParentOut)
def read(pid: int, db: Session = Depends(get_db)):
    return db.get(Parent, pid)

with TestClient(app) as client:
    client.get("/parents/1")

async def main():
    aengine = create_async_engine("sqlite+aiosqlite://")
    async with aengine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    async with async_sessionmaker(aengine)() as session:
        await session.scalars(select(Parent))
    await aengine.dispose()

asyncio.run(main())
engine.dispose()
"""


def _prime() -> None:
    """Run the primer; any failure only costs speed."""
    import warnings

    from quiz.sandbox import capture

    # Through the same path an example takes, so that path is warm too (measured: the first
    # example after this ran in 12 ms instead of 25 ms). Any failure only costs speed.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            capture.run_example(PRIMER, "<sqlaquiz primer>", lambda record: None)
    except Exception:
        pass
    capture.RECORDER.reset()


def import_for_capture() -> None:
    """What a cold worker imports: only what capture needs (SQLAlchemy's ORM, for its hooks)."""
    from quiz.sandbox import capture

    capture.install()


def warm_up(prime: bool = True, database: str = "sqlite") -> None:
    """Import what examples use and install the capture hooks (and prime, before forking)."""
    import gc
    import importlib
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # import-time deprecations are not the example's
        extra = POSTGRES_MODULES if database == "postgresql" else ()
        for name in (*WARM_MODULES, *extra):
            with contextlib.suppress(ImportError):
                importlib.import_module(name)
    from quiz.sandbox import capture

    capture.install()
    if prime:
        _prime()
        gc.collect()
        gc.freeze()  # forked children then do not dirty the worker's pages by collecting them


# --------------------------------------------------------------------------- inside the child


def _die_with_parent() -> None:
    """Linux: the kernel kills this child if the worker dies, so no example outlives it."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _isolate() -> None:
    """First steps of every child: its own process group, no terminal, dies with the worker."""
    if hasattr(os, "setpgid"):
        os.setpgid(0, 0)
    if sys.platform.startswith("linux"):
        _die_with_parent()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the process
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _prepare_child(workdir: str) -> int:
    """Settle into the run's folder, no core dumps; return the address-space size so far."""
    os.chdir(workdir)
    if resource is not None:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return _current_vsize()


def _child_main(
    request: RunRequest,
    out: Any,
    base_vsize: int,
    started: Callable[[], object] = lambda: None,
    made: str | None = None,
) -> None:
    """Run one example; called in the (isolated, prepared) child process."""
    from quiz.sandbox import capture

    os.environ.update(request.env)  # the run's database (sandbox.engines)
    if not request.sandbox:
        made = None  # said as it is: the run asked for no sandbox
    if request.script_dir is not None:  # as `python script.py`: its folder comes first
        sys.path.insert(0, request.script_dir)
    _confine(request, out, made)
    if request.cwd is not None:
        with contextlib.suppress(OSError):  # gone meanwhile: the run folder stays its cwd
            os.chdir(request.cwd)
    cap = request.memory_bytes
    if resource is not None and cap:
        # The cap is on what the example adds to the worker's address space (in a cold worker
        # that includes its own imports: FastAPI with its TestClient, about 35 MiB).
        limit = base_vsize + int(cap)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    def emit(record: dict[str, Any]) -> None:
        out.write(json.dumps(record) + "\n")
        out.flush()

    started()
    capture.run_example(
        request.code,
        request.filename,
        emit,
        output_limit=request.output_limit,
    )


def _confine(request: RunRequest, out: Any, made: str | None) -> None:
    """Temporary files go to the run's own folder, and on Linux Landlock keeps the example there
    (sandbox/landlock.py). The first record says what confinement the run had (`made`: the
    namespaces it runs in, sandbox/namespaces.py)."""
    workdir = os.getcwd()
    os.environ["TMPDIR"] = workdir
    tempfile.tempdir = workdir
    applied: str | None = "off"
    if request.sandbox:
        readable = [request.cwd] if request.cwd else []
        applied = landlock.restrict(workdir, landlock.database_ports(request.env), readable)
        if applied and made:
            applied += f"; namespaces: {made}"
    out.write(json.dumps({"sandbox": applied}) + "\n")
    out.flush()


def _current_vsize() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


# --------------------------------------------------------------------------- in the worker


# What a child says on its "done" pipe: the example starts now (a spare still priming, or a
# cold worker still importing, does not eat into the example's timeout); it finished.
STARTED, DONE, FAILED = b"s", b"x", b"e"  # FAILED is followed by why
FAILED_STATUS = 70  # the child's own exit status when it failed (EX_SOFTWARE)
_WHY: list[str] = []  # why the last child failed, as it said on its "done" pipe
WATCH_AFTER, WATCH_EVERY = 0.2, 0.1  # seconds: when and how often a run's memory is added up


def _wait(
    pid: int,
    timeout: float,
    done_fd: int | None = None,
    watch: Callable[[], bool] | None = None,
) -> tuple[int | None, bool]:
    """Wait until the child says it is done (a byte on `done_fd`), exits, times out, or
    `watch` (called every WATCH_EVERY seconds once the run is WATCH_AFTER old) says stop.

    Returns (wait status or None if it said done and still runs or was stopped, timed_out)."""
    started = time.monotonic()
    deadline = started + timeout
    pidfd = None
    if hasattr(os, "pidfd_open"):
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            pidfd = None
    fds = [fd for fd in (pidfd, done_fd) if fd is not None]
    try:
        delay = 0.0005
        next_watch = started + WATCH_AFTER
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status, False
            now = time.monotonic()
            remaining = deadline - now
            if remaining <= 0:
                return None, True
            if watch is not None and now >= next_watch:
                if watch():
                    return None, False
                next_watch = now + WATCH_EVERY
            wait = remaining if watch is None else min(remaining, max(next_watch - now, 0.001))
            if pidfd is not None:
                ready, _, _ = select.select(fds, [], [], wait)
            else:
                ready, _, _ = select.select(fds, [], [], min(delay, wait))
                delay = min(delay * 2, 0.02)
            if done_fd is not None and done_fd in ready:
                said = os.read(done_fd, 1)
                if said == STARTED:  # the timeout is the example's: it starts counting now
                    deadline = time.monotonic() + timeout
                    continue
                if said == FAILED:  # why follows; then the pipe closes as the child exits
                    _WHY.append(os.read(done_fd, 512).decode("utf-8", "replace"))
                    continue
                if said:
                    return None, False  # finished; the process may still be tearing down
                # end of file without the byte: the child died; collect how
                _, status = os.waitpid(pid, 0)
                return status, False
    finally:
        if pidfd is not None:
            os.close(pidfd)


def _kill(pid: int) -> None:
    """Kill the child by pid and its process group (it leads one unless it left it)."""
    for kill, target in ((getattr(os, "killpg", None), pid), (os.kill, pid)):
        if kill is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                kill(target, signal.SIGKILL)


def _become_subreaper() -> None:
    """Linux: orphans of a run (a daemon it started, a process that changed its group or
    session) are re-parented to the worker instead of init, so the worker can end them."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def _sweep_orphans() -> None:
    """Kill and reap every remaining child of the worker (there is no spare at this point)."""
    me = os.getpid()
    try:
        entries = os.listdir("/proc")
    except OSError:
        return
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and fields[1] == str(me):
            _kill(int(entry))
            with contextlib.suppress(ChildProcessError):
                os.waitpid(int(entry), 0)


def _describe_exit(
    status: int | None, timed_out: bool, finished: bool, timeout: float, memory_bytes: int | None
) -> str | None:
    """One line saying how the process ended, or None if it ended normally."""
    if timed_out:
        return f"timed out after {timeout:g} s and was stopped"
    if finished:
        return None
    if status is None:  # it said done, yet its record is missing or unreadable
        return "the example's results were garbled (did it write to files it does not own?)"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        if sig == signal.SIGSEGV:
            return "the process crashed with a segmentation fault (SIGSEGV)"
        if sig == signal.SIGKILL:
            cap = f" (memory cap {memory_bytes // 2**20} MiB)" if memory_bytes else ""
            return f"the process was killed (SIGKILL), probably out of memory{cap}"
        return f"the process was killed by {name}"
    code = os.WEXITSTATUS(status)
    if code == FAILED_STATUS:
        if _WHY:
            return f"the run could not be recorded ({_WHY[-1]})"
        return (
            f"the process exited with status {code} before finishing: the example called "
            f"os._exit({code}), or closed files it does not own"
        )
    return f"the process exited with status {code} before finishing (os._exit?)"


INTERRUPT_GRACE = 0.5  # seconds a timed-out run has, once interrupted, to report its cell


class _MemoryWatch:
    """Holds the memory cap for a run as a whole: called while the run goes on, it adds up
    what the processes in the run's PID namespace hold (sandbox/namespaces.py) and says stop
    when, with more than one process, they hold more than the cap between them. (One process
    alone is held by its own address-space limit, which the example sees as a MemoryError.)"""

    def __init__(self, pid: int, cap: int) -> None:
        self.pid, self.cap = pid, cap
        self.namespace: str | None = None
        self.stopped: str | None = None

    def __call__(self) -> bool:
        if self.namespace is None:
            run = namespaces.namespace_of(self.pid)
            if run is None or run == namespaces.namespace_of(os.getpid()):
                return False  # not in a namespace of its own (yet, or at all)
            self.namespace = run
        used, processes = namespaces.run_memory(self.namespace)
        if processes > 1 and used > self.cap:
            _kill(self.pid)
            self.stopped = (
                f"the run's {processes} processes held {used / 2**20:,.0f} MiB between them, "
                f"over the run's memory cap of {self.cap // 2**20} MiB, and were stopped"
            )
            return True
        return False


def _mark_stopped(
    records: list[dict[str, Any]], cells: list[dict[str, Any]], kind: str, message: str
) -> str | None:
    """After the worker stopped a run: the title of the cell that was running, its record
    ending in `message`.

    Interrupted at a timeout, the cell usually reported itself (statements and output up to
    the interrupt, ending in KeyboardInterrupt); that error becomes the timeout. A cell that
    was killed, or ignored the interrupt, has only its "started" mark: it gets a record of its
    own, with nothing in it."""
    started = [r for r in records if "started" in r]
    if not started:
        return None
    mark = started[-1]
    title, first_line = mark["started"], mark["first_line"]
    error: dict[str, Any] = {
        "type": kind,
        "qualname": f"sqlaquiz.{kind}",
        "message": message,
        "line": None,
    }
    last = cells[-1] if cells else None
    if last is not None and last["title"] == title and last["first_line"] == first_line:
        if last.get("error") and last["error"]["type"] == "KeyboardInterrupt":
            error["line"] = last["error"]["line"]
            last["error"] = error
        return str(title)
    error["message"] = message + " (what it sent and printed before is lost)"
    cells.append(
        {
            "title": title,
            "first_line": first_line,
            "queries": 0,
            "statements": [],
            "stdout": "",
            "stderr": "",
            "warnings": [],
            "seconds": 0.0,
            "error": error,
        }
    )
    return str(title)


def _read_records(path: str) -> list[dict[str, Any]]:
    records = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    break  # a half-written last line from a killed child
    except OSError:
        pass
    return records


class _Spare:
    """A child forked ahead of time, primed (its pages already copied from the worker), and
    waiting on a pipe for the request it will run; it reports "done" on a second pipe so the
    reply does not wait for the process to tear down."""

    def __init__(self, prime: bool = True) -> None:
        # Made now, while nobody waits: the run's folder and the file its records go to.
        self.workdir, self.result_path = _run_files()
        read_end, self.write_end = os.pipe()
        self.done_read, done_write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child
            code = 0
            try:
                os.close(self.write_end)
                os.close(self.done_read)
                for fd in _PRIVATE_FDS:  # the example must not reach the reply pipe
                    os.close(fd)
                _isolate()
                # The run's namespaces are made now, ahead of its request, so that the process
                # that runs the example is the one that primes itself below (a fork after the
                # request would copy the primed pages again, measured: 15 -> 45 ms a run).
                made = namespaces.enter(network=_DATABASE[0] != "sqlite") if _SANDBOX[0] else None
                if prime:
                    _prime()
                base_vsize = _prepare_child(self.workdir)
                with open(self.result_path, "w", encoding="utf-8") as out:
                    with os.fdopen(read_end, "rb") as pipe:
                        data = pipe.read()
                    if data:
                        _child_main(
                            RunRequest.from_dict(json.loads(data)),
                            out,
                            base_vsize,
                            made=made,
                            started=lambda: os.write(done_write, STARTED),
                        )
                        os.write(done_write, DONE)
            except BaseException as exc:  # ours failed, not the example: say why, briefly
                code = FAILED_STATUS
                with contextlib.suppress(BaseException):
                    why = f"{type(exc).__name__}: {exc}"[:300]
                    os.write(done_write, FAILED + why.encode("utf-8", "replace"))
            finally:
                os._exit(code)
        os.close(read_end)
        os.close(done_write)

    def start(self, request: RunRequest) -> bool:
        """Hand over the request; False if the child is already gone."""
        try:
            os.write(self.write_end, json.dumps(request.to_dict()).encode())
            return True
        except OSError:
            return False
        finally:
            os.close(self.write_end)

    def finish(self) -> None:
        """Kill what is left of the child, its group and anything it started, and reap it;
        remove its folder and result file."""
        _kill(self.pid)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        os.close(self.done_read)
        _sweep_orphans()
        _remove(self.workdir, self.result_path)

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.write_end)
        self.finish()


def _run_files() -> tuple[str, str]:
    """A new run folder and result file in the temporary folder, which an example may have
    removed (it is the worker's own, and the example's TMPDIR too)."""
    os.makedirs(tempfile.gettempdir(), exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="sqlaquiz-run-")
    fd, result_path = tempfile.mkstemp(prefix="sqlaquiz-result-", suffix=".jsonl")
    os.close(fd)
    return workdir, result_path


def _remove(workdir: str, result_path: str) -> None:
    shutil.rmtree(workdir, ignore_errors=True)
    with contextlib.suppress(OSError):
        os.unlink(result_path)


_SPARE: list[_Spare | None] = [None]
_DATABASE = ["sqlite"]  # the worker's database: a SQLite run's namespaces have no network
_SANDBOX = [True]  # False (--no-sandbox): no namespaces either
_WARM = [True]  # False in a cold worker: nothing is primed, spares are made when needed


def _take_spare() -> _Spare:
    spare, _SPARE[0] = _SPARE[0], None
    return spare or _Spare(prime=_WARM[0])


def run_request(request: RunRequest, use_fork: bool) -> tuple[dict[str, Any], Any]:
    """Run one example in a contained child; return its reply and a cleanup to call after
    the reply is sent (killing and reaping the child, removing its folder)."""
    timeout = request.timeout
    memory = request.memory_bytes
    started = time.perf_counter()
    _WHY.clear()
    spare: _Spare | None = None
    if use_fork:
        spare = _take_spare()
        if not spare.start(request):  # died while priming: one more try, then report
            spare.finish()
            spare = _Spare(prime=_WARM[0])
            spare.start(request)
        result_path = spare.result_path
        _CURRENT[0] = spare
        watch = _MemoryWatch(spare.pid, memory) if memory else None
        status, timed_out = _wait(spare.pid, timeout, spare.done_read, watch)
        if timed_out:  # interrupted, it may still say which cell hung and what it did there
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(spare.pid, signal.SIGINT)
            status, _ = _wait(spare.pid, INTERRUPT_GRACE, spare.done_read)
        _CURRENT[0] = None
        stopped = watch.stopped if watch else None
    else:
        workdir, result_path = _run_files()
        status, timed_out = _run_fresh(request, workdir, result_path)
        stopped = None
    records = _read_records(result_path)
    cells = [r for r in records if "title" in r]
    done = next((r for r in records if r.get("done")), None)
    sandbox = next((r["sandbox"] for r in records if "sandbox" in r), None)
    crash = stopped or _describe_exit(status, timed_out, done is not None, timeout, memory)
    if timed_out:
        still = f"still running after {timeout:g} s: stopped here"
        hung = _mark_stopped(records, cells, "Timeout", still)
        if hung is not None:
            line = cells[-1]["error"]["line"]
            at = f", at line {line}," if line else ""
            crash = f"timed out after {timeout:g} s in cell {hung!r}{at} and was stopped"
    elif stopped:
        over = _mark_stopped(records, cells, "MemoryCap", "over the run's memory cap: stopped here")
        crash = stopped + (f" in cell {over!r}" if over else "")
    reply = {
        "cells": cells,
        "finished": done is not None and not timed_out and not stopped,
        "timed_out": timed_out,
        "crash": crash,
        "output_dropped": done.get("output_dropped", 0) if done else 0,
        "wall_seconds": round(time.perf_counter() - started, 4),
        "sandbox": sandbox,
    }

    def cleanup() -> None:
        if spare is not None:
            spare.finish()
        else:
            _remove(workdir, result_path)

    return reply, cleanup


def _run_fresh(request: RunRequest, workdir: str, result_path: str) -> tuple[int | None, bool]:
    """Fallback where fork is unavailable: a new interpreter per run."""
    timeout = request.timeout
    cold = [] if _WARM[0] else ["--cold"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "quiz.sandbox.worker", "--child", result_path, workdir, *cold],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(request.to_dict()).encode())
    proc.stdin.close()
    try:
        code = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        _kill(proc.pid)
        proc.kill()
        proc.wait()
        return None, True
    # encode like a wait status so _describe_exit reads it the same way
    status = (-code) if code < 0 else (code << 8)
    return status, False


_CURRENT: list[_Spare | None] = [None]  # the child running an example now
_PRIVATE_FDS: list[int] = []  # the worker's own descriptors that no child may keep


def _on_terminate(signum: int, frame: Any) -> None:
    children = [c for c in (_CURRENT[0], _SPARE[0]) if c is not None]
    for child in children:
        _kill(child.pid)
    _sweep_orphans()
    for child in children:
        _remove(child.workdir, child.result_path)
    os._exit(0)


def _rehearse(line: str, reply: dict[str, Any]) -> None:
    """After a fork, each page of memory the worker writes to is first copied (copy-on-write:
    the child shares it). Going through the next request's parsing and reply now, while the
    user reads, makes that copying happen now: measured 350 -> 110 page faults per run."""
    records = json.dumps(reply)
    for _ in range(3):
        json.loads(line)
        json.loads(records)
        json.dumps(reply)
        select.select([], [], [], 0)


def serve(use_fork: bool, database: str = "sqlite", warm: bool = True) -> None:
    """The worker loop: one request per line until stdin closes (`warm`: see the docstring
    at the top)."""
    # Replies get a private copy of the pipe; fd 1 becomes stderr, so nothing an import or an
    # example prints (even from C) can reach the protocol.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    _PRIVATE_FDS.append(out.fileno())
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    signal.signal(signal.SIGTERM, _on_terminate)
    _become_subreaper()
    _WARM[0] = warm
    _DATABASE[0] = database
    if use_fork:
        if warm:
            warm_up(database=database)
        else:
            import_for_capture()
        # Ready before the request arrives (a one-shot run's is often waiting already).
        _SPARE[0] = _Spare(prime=warm)
    for line in sys.stdin:
        if not line.strip():
            continue
        request = RunRequest.from_dict(json.loads(line))
        reply, cleanup = run_request(request, use_fork)
        out.write(json.dumps(reply) + "\n")
        out.flush()
        cleanup()
        if use_fork and warm:
            # Primed while the user reads the report; in a batch (validate --run) the next
            # request is already waiting, so priming would only delay it. A cold worker makes
            # its next child only if another request comes: a one-shot run has none.
            _SPARE[0] = _Spare(prime=not request.batch)
            if not request.batch:
                _rehearse(line, reply)
    if _SPARE[0] is not None:
        _SPARE[0].discard()


def main(argv: list[str]) -> None:
    if len(argv) >= 3 and argv[0] == "--child":
        request = RunRequest.from_dict(json.loads(sys.stdin.read()))
        if "--cold" in argv:
            import_for_capture()
        else:
            warm_up(prime=False)
        base_vsize = _prepare_child(argv[2])
        with open(argv[1], "w", encoding="utf-8") as out:
            _child_main(request, out, base_vsize)
        os._exit(0)  # a thread the example left running must not keep this process alive
    use_fork = hasattr(os, "fork") and "--no-fork" not in argv
    _SANDBOX[0] = "--no-sandbox" not in argv
    database = argv[argv.index("--database") + 1] if "--database" in argv[:-1] else "sqlite"
    serve(use_fork, database, warm="--cold" not in argv)
    # Every child is reaped and every reply sent: skip the interpreter's teardown, whose last
    # garbage collection over SQLAlchemy's objects alone takes longer than a run.
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
