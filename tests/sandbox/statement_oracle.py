"""Count, per `# %%` cell, the statements each example really handed to its database driver.

A yardstick for sqlaquiz's capture that shares none of its code: run with a bare `python`,
it reads a JSON list of examples on stdin ({"id", "code", "env"}) and prints one JSON object
mapping each id to {"cells": [[title, count], ...], "error": str | None}.

What counts: a statement that SQLAlchemy executed with its engine events on (what
`before_cursor_execute` sees) and that then reached the driver itself: sqlite3's cursor
(also under aiosqlite, which calls it from its own thread), psycopg's cursor, or asyncpg's
prepare / fetch / executemany. A `before_cursor_execute` listener arms the connection; the
first driver call on that connection consumes the arm and counts. Whatever fails on the way
(a missing bind value, a refusing listener, MissingGreenlet in the async adapter) never
reaches the driver; a failure after the driver ran counts once. SQLAlchemy's own event-less
statements (dialect start-up, pool pre-ping) find the connection unarmed.

Examples run in forked children (the parent imports the libraries once), `--jobs` at a time,
each in its own temporary folder, and stop at the first cell that raises. Two private names are
read: aiosqlite's `Connection._conn` and asyncpg's `PreparedStatement._connection`; if a release
renames them, the counts drop to zero and the comparison fails loudly.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import select
import shutil
import signal
import sqlite3
import sys
import tempfile
import threading
import time
import types
import warnings

from sqlalchemy import event
from sqlalchemy.engine import Engine

_lock = threading.Lock()
# id() of a driver connection -> the executions armed on it that have not reached it yet,
# oldest first: two can be in flight on one connection when asyncio tasks share a session
_armed: dict[int, list[int]] = {}
_armed_on: dict[int, int] = {}  # id() of an execution context -> its driver connection's id()
_count = [0]


def _reached(driver_connection: object) -> None:
    with _lock:
        waiting = _armed.get(id(driver_connection))
        if waiting:
            _armed_on.pop(waiting.pop(0), None)
            _count[0] += 1


def _driver_key(conn) -> object:
    """The object the driver-level hooks below see as their connection."""
    driver = conn.connection.driver_connection
    inner = getattr(driver, "_conn", None)  # aiosqlite: the sqlite3 connection it drives
    return inner if isinstance(inner, sqlite3.Connection) else driver


@event.listens_for(Engine, "before_cursor_execute")
def _arm(conn, cursor, statement, parameters, context, executemany):
    key = id(_driver_key(conn))
    with _lock:
        _armed.setdefault(key, []).append(id(context))
        _armed_on[id(context)] = key


def _disarm(context: object) -> None:
    """The execution is over: an arm its statement did not use must not count another one.
    (Found through the execution: after a disconnect its driver connection is gone.)"""
    if context is None:
        return
    with _lock:
        key = _armed_on.pop(id(context), None)
        waiting = _armed.get(key, []) if key is not None else []
        if id(context) in waiting:
            waiting.remove(id(context))


@event.listens_for(Engine, "after_cursor_execute")
def _after(conn, cursor, statement, parameters, context, executemany):
    _disarm(context)


@event.listens_for(Engine, "handle_error")
def _error(ctx):
    _disarm(ctx.execution_context)


# --------------------------------------------------------------------------- driver hooks


class _CountingCursor(sqlite3.Cursor):
    def execute(self, sql, parameters=(), /):
        _reached(self.connection)
        return super().execute(sql, parameters)

    def executemany(self, sql, seq_of_parameters, /):
        _reached(self.connection)
        return super().executemany(sql, seq_of_parameters)


class _CountingConnection(sqlite3.Connection):
    def cursor(self, factory=_CountingCursor):
        return super().cursor(factory)


def _sqlite_connect(*args, **kwargs):
    kwargs.setdefault("factory", _CountingConnection)
    return _real_sqlite_connect(*args, **kwargs)


_real_sqlite_connect = sqlite3.connect
sqlite3.connect = _sqlite_connect
sqlite3.dbapi2.connect = _sqlite_connect


def _hook_psycopg() -> None:
    try:
        import psycopg
    except ImportError:
        return
    for cls in (psycopg.Cursor, psycopg.ServerCursor):
        for name in ("execute", "executemany"):
            original = cls.__dict__.get(name)
            if original is None:
                continue

            def counting(self, *args, __original=original, **kwargs):
                _reached(self.connection)
                return __original(self, *args, **kwargs)

            setattr(cls, name, counting)


def _hook_asyncpg() -> None:
    try:
        from asyncpg.connection import Connection
        from asyncpg.prepared_stmt import PreparedStatement
    except ImportError:
        return

    def on_connection(original):
        async def counting(self, *args, **kwargs):
            _reached(self)
            return await original(self, *args, **kwargs)

        return counting

    def on_statement(original):  # a statement prepared earlier (SQLAlchemy caches them)
        async def counting(self, *args, **kwargs):
            _reached(self._connection)
            return await original(self, *args, **kwargs)

        return counting

    Connection.prepare = on_connection(Connection.prepare)
    Connection.executemany = on_connection(Connection.executemany)
    PreparedStatement.fetch = on_statement(PreparedStatement.fetch)
    original_cursor = PreparedStatement.cursor

    def cursor(self, *args, **kwargs):
        _reached(self._connection)
        return original_cursor(self, *args, **kwargs)

    PreparedStatement.cursor = cursor


_hook_psycopg()
_hook_asyncpg()

# Imported once here, not in every child.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for _name in ("aiosqlite", "sqlalchemy.orm", "sqlalchemy.ext.asyncio", "fastapi.testclient"):
        with contextlib.suppress(ImportError):
            __import__(_name)

# --------------------------------------------------------------------------- running examples

_CELL = re.compile(r"^\s*#\s*%%(.*)$")


def cells(code: str) -> list[tuple[str, str]]:
    """(title, source) per cell; the source keeps earlier lines blank so line numbers hold.
    Code before the first marker is a cell only if it is not blank; an empty title becomes
    "cell N" (N its position)."""
    found: list[tuple[str | None, int, list[str]]] = [(None, 0, [])]
    for number, line in enumerate(code.splitlines(), start=1):
        marker = _CELL.match(line)
        if marker:
            found.append((marker.group(1).strip().strip("-").strip(), number, []))
        else:
            found[-1][2].append(line)
    if not "".join(found[0][2]).strip():
        found.pop(0)
    return [
        (title or f"cell {i}", "\n" * first + "\n".join(lines) + "\n")
        for i, (title, first, lines) in enumerate(found, start=1)
    ]


def run_one(example: dict) -> dict:
    """In the child: run the cells in one namespace, counting per cell."""
    os.environ.update(example.get("env") or {})
    module = types.ModuleType("__main__")
    module.__file__ = f"{example['id']}.py"
    sys.modules["__main__"] = module
    counts: list[list[object]] = []
    error = None
    for title, source in cells(example["code"]):
        with _lock:
            _count[0] = 0
        try:
            exec(compile(source, module.__file__, "exec"), module.__dict__)
        except BaseException as exc:
            error = f"{type(exc).__name__}: {exc}"
        with _lock:
            counts.append([title, _count[0]])
        if error is not None:
            break
    return {"cells": counts, "error": error}


class _Child:
    """One example running in a forked child, in its own folder."""

    def __init__(self, example: dict, timeout: float) -> None:
        self.id = example["id"]
        self.deadline = time.monotonic() + timeout
        self.folder = tempfile.mkdtemp(prefix="sqlaquiz-oracle-")
        self.fd, write_end = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            os.close(self.fd)
            os.setpgid(0, 0)
            os.chdir(self.folder)
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            try:
                reply = run_one(example)
            except BaseException as exc:
                reply = {"cells": [], "error": f"oracle: {exc!r}"}
            with os.fdopen(write_end, "w") as out:
                out.write(json.dumps(reply))
            os._exit(0)
        os.close(write_end)

    def collect(self) -> dict:
        """Read the reply (or give up at the deadline), then end the child and its folder."""
        data = b""
        while True:
            remaining = max(0.0, self.deadline - time.monotonic())
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if not ready:
                data = b""
                break
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                break
            data += chunk
        os.close(self.fd)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)  # whatever the example left running
        os.waitpid(self.pid, 0)
        shutil.rmtree(self.folder, ignore_errors=True)
        if not data:
            return {"cells": [], "error": "oracle: the example timed out or died"}
        reply: dict = json.loads(data)
        return reply


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    queue = list(json.load(sys.stdin))
    results: dict[str, dict] = {}
    running: list[_Child] = []
    while queue or running:
        while queue and len(running) < max(1, args.jobs):
            running.append(_Child(queue.pop(0), args.timeout))
        ready, _, _ = select.select([c.fd for c in running], [], [], 0.5)
        for child in [c for c in running if c.fd in ready or time.monotonic() > c.deadline]:
            running.remove(child)
            results[child.id] = child.collect()
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
