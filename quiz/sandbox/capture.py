"""What runs inside the worker: cells in one namespace, every SQL statement, counts and flags.

The example never imports sqlaquiz. Statements are seen through a class-level listener on
SQLAlchemy's Engine (so every engine the example creates, sync or async, in any thread) and
counted where each dialect calls its driver (so one stopped on the way is shown, not counted);
relationship loads are tagged by wrapping the ORM's loader strategies for the duration of a load.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import re
import signal
import sys
import threading
import time
import traceback
import types
import warnings
from collections import Counter
from collections.abc import Callable
from typing import Any

from quiz.sandbox.cells import Cell, split_cells
from quiz.sandbox.protocol import FILE_LIMIT, LOG_LIMIT, MAX_CELLS

MAX_STATEMENTS_PER_CELL = 500
MAX_SQL_CHARS = 4_000  # per statement shown; the count is never capped
MAX_MESSAGE = 2_000  # an exception's message
MAX_NAME = 200  # a cell title, a thread's name, an exception's type, a relationship
MAX_WARNINGS_PER_CELL = 50
N_PLUS_ONE_THRESHOLD = 3


class _Budget:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.dropped = 0
        self.lock = threading.Lock()

    def take(self, n: int) -> int:
        """As much of `n` as is left (text is cut); the rest counts as dropped."""
        with self.lock:
            keep = max(0, min(n, self.limit - self.used))
            self.used += keep
            self.dropped += n - keep
            return keep

    def whole(self, n: int) -> bool:
        """All of `n` or nothing (a record is kept whole or left out)."""
        with self.lock:
            if self.used + n > self.limit:
                self.dropped += n
                return False
            self.used += n
            return True


class _Recorder:
    """Collects statements for the cell that is running; thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statements: list[dict[str, Any]] = []
        self.count = 0
        self.loading = threading.local()
        self.log = _Budget(LOG_LIMIT)  # the run's budget for everything but stdout / stderr
        self.over_budget = False  # this cell left something out for the budget

    def reset(self) -> None:
        with self.lock:
            self.statements = []
            self.count = 0
            self.over_budget = False

    def add(self, record: dict[str, Any]) -> None:
        """Keep a statement; only one the driver was asked to run gets a number and counts."""
        with self.lock:
            if record["sent"]:
                self.count += 1
                record["n"] = self.count
            else:
                record["n"] = None
            if len(self.statements) >= MAX_STATEMENTS_PER_CELL:
                return
            if self.over_budget:  # kept in order: once one is left out, so are the later ones
                return
            if self.log.whole(_size(record)):
                self.statements.append(record)
            else:
                self.over_budget = True

    def keep(self, size: int) -> bool:
        """Whether something else of `size` characters fits the run's budget (and take it)."""
        with self.lock:
            if self.log.whole(size):
                return True
            self.over_budget = True
            return False

    def current_load(self) -> tuple[str, str] | None:
        stack = getattr(self.loading, "stack", None)
        return stack[-1] if stack else None


def _size(record: dict[str, Any]) -> int:
    """Characters a statement's record takes in the reply (its JSON, a little over); cheap for
    the common case of printable ASCII SQL, which JSON escapes only at quotes and backslashes."""
    sql = record["sql"]
    if sql.isascii() and sql.isprintable():
        text = len(sql) + sql.count('"') + sql.count("\\")
    else:
        text = len(json.dumps(sql))
    rest = len(json.dumps(record["params"], default=str))
    for key in ("error", "thread", "relationship", "load", "dialect"):
        value = record.get(key)
        rest += len(json.dumps(value)) if isinstance(value, str) else 4
    return text + rest + 300  # the keys and the other values, and the flags added later


RECORDER = _Recorder()
_installed = False


def _jsonable(value: Any, depth: int = 0) -> Any:
    """A statement's parameters as a small JSON value: at most 8 items of a list, 20 keys of
    a mapping, two levels deep, 200 characters of a text or a repr."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else _short(repr(value))
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else repr(value)
    if isinstance(value, str):
        return _short(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        shown = _short(repr(bytes(value[:200])))
        return shown if len(value) <= 200 else shown + f"… ({len(value):,} bytes)"
    if isinstance(value, (list, tuple)) and depth < 2:
        items = [_jsonable(v, depth + 1) for v in value[:8]]
        if len(value) > 8:
            items.append(f"… {len(value) - 8} more")
        return items
    if isinstance(value, dict) and depth < 2:
        return {_short(str(k)): _jsonable(v, depth + 1) for k, v in list(value.items())[:20]}
    try:
        return _short(repr(value))
    except Exception:  # a __repr__ that fails still shows its type
        return f"<{type(value).__name__}>"


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


# --------------------------------------------------------------------------- one execution
#
# A statement counts when the driver is asked to run it, once, whatever happens afterwards.
# SQLAlchemy's events alone cannot tell: `handle_error` also fires when an execution fails
# before the driver (a missing bind value, a bind processor that raises, a cursor the driver
# refuses to open, a `before_cursor_execute` listener that refuses) and after it (a RETURNING
# value that fails to convert, after `after_cursor_execute` already fired). So each execution
# carries a small state on its ExecutionContext (a new object per execution):
#
#   our before_cursor_execute   -> PENDING
#   the dialect's own do_execute / do_executemany / do_execute_no_params (wrapped on each
#   dialect: runs after every listener, `do_execute` event handlers included, had its say)
#                               -> the statement is recorded as sent, failed or not -> CALLED
#   after_cursor_execute        -> DONE (records it first if still PENDING: a `do_execute`
#                                  event handler ran the statement itself)
#   handle_error                -> records an attempt "not sent" unless the driver was called
#
# The one exception inside the driver call: under asyncio, SQLAlchemy's adapter raises
# MissingGreenlet before its coroutine starts, so the driver never saw the statement.

_STATE = "_sqlaquiz_call"
PENDING, CALLING, CALLED, DONE = "pending", "calling", "called", "done"


class _Call:
    __slots__ = ("phase", "started")

    def __init__(self) -> None:
        self.phase = PENDING
        self.started = time.perf_counter()


def _call_of(context: Any) -> _Call | None:
    return getattr(context, _STATE, None) if context is not None else None


def _before_cursor_execute(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    _watch(conn.dialect)
    if context is not None:
        setattr(context, _STATE, _Call())


def _after_cursor_execute(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    call = _call_of(context)
    if call is None:
        return
    if call.phase == PENDING:  # a do_execute event handler ran it instead of the dialect
        seconds = time.perf_counter() - call.started
        _record(statement, parameters, executemany, seconds, dialect=conn.dialect.name)
    call.phase = DONE


def _handle_error(context: Any) -> None:
    if context.statement is None:  # not about one statement (connecting, fetching rows)
        return
    call = _call_of(context.execution_context)
    error = context.original_exception
    if call is not None and call.phase != PENDING:
        return  # the driver was called: recorded there, failed or not
    # A handler that runs statements itself (see _after_cursor_execute) fails with the
    # driver's own exception; anything else stopped the statement on its way.
    dbapi_error = getattr(context.dialect, "loaded_dbapi", None)
    sent = call is not None and dbapi_error is not None and isinstance(error, dbapi_error.Error)
    seconds = time.perf_counter() - call.started if sent and call is not None else 0.0
    _record(
        context.statement, context.parameters, False, seconds, error, sent, context.dialect.name
    )
    if call is not None:
        call.phase = DONE


def _watch(dialect: Any) -> None:
    """Wrap this dialect's three calls into the driver (once per dialect object)."""
    if dialect.__dict__.get(_STATE):
        return
    from sqlalchemy.exc import MissingGreenlet

    def through(
        original: Callable[..., Any],
        many: bool,
        with_parameters: bool,
        cursor: Any,
        statement: str,
        *rest: Any,
        **kw: Any,
    ) -> Any:
        # SQLAlchemy calls (cursor, statement, parameters, context) and, without parameters,
        # (cursor, statement, context)
        context = kw.get("context", rest[-1] if rest else None)
        call = _call_of(context)
        if call is None or call.phase != PENDING:
            # not an execution our listener saw (SQLAlchemy's own event-less statements) or
            # a dialect that calls one of these from another
            return original(cursor, statement, *rest, **kw)
        call.phase = CALLING
        started, error = time.perf_counter(), None
        try:
            return original(cursor, statement, *rest, **kw)
        except BaseException as exc:
            error = exc
            raise
        finally:
            sent = not isinstance(error, MissingGreenlet)
            seconds = time.perf_counter() - started if sent else 0.0
            parameters = rest[0] if with_parameters and rest else None
            _record(statement, parameters, many, seconds, error, sent, dialect.name)
            call.phase = CALLED

    for name, many, with_parameters in (
        ("do_execute", False, True),
        ("do_executemany", True, True),
        ("do_execute_no_params", False, False),
    ):
        original = getattr(dialect, name)
        setattr(dialect, name, functools.partial(through, original, many, with_parameters))
    setattr(dialect, _STATE, True)


_BACKGROUND = re.compile(r"\s*\(Background on this error at: \S+\)$")


def _describe(error: BaseException) -> str:
    """One line for why a statement failed or was not sent."""
    orig = getattr(error, "orig", None)  # a StatementError wrapping the real cause
    cause = orig if isinstance(orig, BaseException) else error
    try:
        lines = str(cause).strip().splitlines()
    except Exception:  # an exception whose __str__ fails still gets its type shown
        lines = []
    message = _BACKGROUND.sub("", lines[0]) if lines else ""
    text = f"{type(cause).__name__}: {message}" if message else type(cause).__name__
    return _capped(text, 300)


def _record(
    statement: str,
    parameters: Any,
    executemany: bool,
    seconds: float,
    error: BaseException | None = None,
    sent: bool = True,
    dialect: str | None = None,
) -> None:
    load = RECORDER.current_load()
    RECORDER.add(
        {
            "sql": _capped(statement.strip(), MAX_SQL_CHARS),
            "params": _jsonable(parameters),
            # SQLAlchemy also flags single-row ORM INSERTs as executemany; show real batches only
            "many": bool(executemany)
            and isinstance(parameters, (list, tuple))
            and len(parameters) > 1
            and isinstance(parameters[0], (list, tuple, dict)),
            "ms": round(seconds * 1000, 3),
            "load": load[0] if load else None,  # "lazy" | "selectin" | "subquery"
            "relationship": load[1] if load else None,
            "failed": error is not None,
            "sent": sent,
            "error": _describe(error) if error is not None else None,
            "thread": _short(str(threading.current_thread().name), MAX_NAME),
            "dialect": dialect,  # "sqlite", "postgresql": which database the example really used
        }
    )


def _capped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit:,} more)"


def _relationship_name(strategy: Any) -> str:
    prop = strategy.parent_property
    return _short(f"{prop.parent.class_.__name__}.{prop.key}", MAX_NAME)


def _tagging(kind: str, original: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        stack = getattr(RECORDER.loading, "stack", None)
        if stack is None:
            stack = RECORDER.loading.stack = []
        stack.append((kind, _relationship_name(self)))
        try:
            return original(self, *args, **kwargs)
        finally:
            stack.pop()

    wrapper.__wrapped__ = original  # type: ignore[attr-defined]
    return wrapper


def install() -> None:
    """Listen to every Engine and tag relationship loads; safe to call twice."""
    global _installed
    if _installed:
        return
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import strategies

    event.listen(Engine, "before_cursor_execute", _before_cursor_execute)
    event.listen(Engine, "after_cursor_execute", _after_cursor_execute)
    event.listen(Engine, "handle_error", _handle_error)
    # Private names, checked defensively: if a release renames them, statements are still
    # counted, only the "lazy load of User.posts" tag is lost.
    for cls_name, method, kind in (
        ("_LazyLoader", "_load_for_state", "lazy"),
        ("_SelectInLoader", "_load_for_path", "selectin"),
    ):
        cls = getattr(strategies, cls_name, None) or getattr(strategies, cls_name.lstrip("_"), None)
        if cls is not None and hasattr(cls, method):
            setattr(cls, method, _tagging(kind, getattr(cls, method)))
    _tag_subquery_loads(strategies)
    _installed = True


_SUBQUERY_NAMES: dict[int, str] = {}


def _tag_subquery_loads(strategies: Any) -> None:
    """subqueryload runs its query from a helper object that does not know the relationship:
    label the helper when the strategy creates it, then tag while the helper loads."""
    loader = getattr(strategies, "_SubqueryLoader", None) or getattr(
        strategies,
        "SubqueryLoader",
        None,  # the SQLAlchemy 2.0 name
    )
    helper = getattr(loader, "_SubqCollections", None)
    if loader is None or helper is None or not hasattr(helper, "_load"):
        return
    create = loader.create_row_processor

    def create_row_processor(
        self: Any, context: Any, query_entity: Any, path: Any, *args: Any
    ) -> Any:
        out = create(self, context, query_entity, path, *args)
        try:
            collections = path[self.parent_property].get(context.attributes, "collections")
        except Exception:
            collections = None
        if collections is not None:  # the helper has __slots__: remember it by id
            _SUBQUERY_NAMES[id(collections)] = _relationship_name(self)
        return out

    load = helper._load

    def helper_load(self: Any) -> Any:
        name = _SUBQUERY_NAMES.get(id(self))
        if name is None:
            return load(self)
        stack = getattr(RECORDER.loading, "stack", None)
        if stack is None:
            stack = RECORDER.loading.stack = []
        stack.append(("subquery", name))
        try:
            return load(self)
        finally:
            stack.pop()

    loader.create_row_processor = create_row_processor
    helper._load = helper_load


class CappedText(io.TextIOBase):
    """A text sink that keeps the first `budget.limit` characters of a run and counts the rest."""

    def __init__(self, budget: _Budget) -> None:
        self.parts: list[str] = []
        self.budget = budget

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        keep = self.budget.take(len(text))
        if keep:
            self.parts.append(text[:keep])
        return len(text)

    def getvalue(self) -> str:
        return "".join(self.parts)


def _error_info(exc: BaseException, filename: str) -> dict[str, Any]:
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == filename:
            line = lineno
    cls = type(exc)
    if isinstance(exc, SystemExit):
        message = f"the example called sys.exit({exc.code!r})"
    elif isinstance(exc, KeyboardInterrupt):
        message = "the example raised KeyboardInterrupt"
    elif isinstance(exc, MemoryError) and not str(exc):
        message = "out of memory: the example hit its memory cap"
    else:
        try:
            message = str(exc)
        except Exception:  # an exception whose __str__ fails still gets reported
            message = f"<{cls.__name__} whose str() failed>"
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + f"… ({len(message) - MAX_MESSAGE:,} more characters)"
    return {
        "type": _short(cls.__name__, MAX_NAME),
        "qualname": _short(f"{cls.__module__}.{cls.__qualname__}", MAX_NAME),
        "message": message,
        "line": line,
    }


def flags(statements: list[dict[str, Any]]) -> dict[str, Any]:
    """Duplicate / similar statements and N+1 hints for one cell's statements."""
    seen_exact: dict[tuple[str, str], int] = {}
    seen_sql: dict[str, int] = {}
    sent = [st for st in statements if st["sent"]]  # an attempt never sent repeats nothing
    for st in sent:
        key = (st["sql"], repr(st["params"]))
        if key in seen_exact:
            st["duplicate_of"] = seen_exact[key]
        elif st["sql"] in seen_sql:
            st["similar_to"] = seen_sql[st["sql"]]
        seen_exact.setdefault(key, st["n"])
        seen_sql.setdefault(st["sql"], st["n"])
    lazy = Counter(st["relationship"] for st in sent if st["load"] == "lazy")
    hints = [
        {"relationship": rel, "lazy_loads": n}
        for rel, n in lazy.most_common()
        if n >= N_PLUS_ONE_THRESHOLD
    ]
    return {"n_plus_one": hints}


def _limit_files() -> None:
    """No file written from here on (by the example, or into the run's result file through a
    descriptor the example found) grows past FILE_LIMIT: a write past it fails with EFBIG
    (SIGXFSZ is ignored, so the example sees an OSError rather than being killed). Only the
    worker and its children call this; it cannot be raised again from inside."""
    try:
        import resource
    except ImportError:  # not on this platform: the caps on what is emitted still hold
        return
    with contextlib.suppress(ValueError, OSError, AttributeError):
        _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        if hard == resource.RLIM_INFINITY or hard > FILE_LIMIT:
            resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _cells(code: str) -> list[Cell]:
    """The example's cells; past MAX_CELLS, the rest of the code runs as one last cell (each
    cell's record costs a little, and a script of a million cells must not cost a million)."""
    cells = split_cells(code)
    if len(cells) <= MAX_CELLS:
        return cells
    last = cells[MAX_CELLS - 1]
    rest = "\n".join(code.splitlines()[last.first_line - 1 :]) + "\n"
    after = len(cells) - MAX_CELLS
    title = f"{last.title} (and the {after:,} {'cell' if after == 1 else 'cells'} after it)"
    return [*cells[: MAX_CELLS - 1], Cell(MAX_CELLS, title, last.first_line, rest)]


def run_example(
    code: str,
    filename: str,
    emit: Callable[[dict[str, Any]], None],
    output_limit: int = 1_000_000,
) -> None:
    """Run the cells in order in one namespace; emit one record per cell as it finishes."""
    _limit_files()
    install()
    # A real __main__ module: libraries that resolve names through sys.modules[cls.__module__]
    # (SQLAlchemy's Mapped[...] annotations, pydantic, dataclasses) then see the example's globals.
    module = types.ModuleType("__main__")
    module.__file__ = filename
    sys.modules["__main__"] = module
    namespace = module.__dict__
    budget = _Budget(output_limit)
    import linecache

    lines = code.splitlines(keepends=True)
    linecache.cache[filename] = (len(code), None, lines, filename)
    owner = os.getpid()
    RECORDER.log = _Budget(LOG_LIMIT)
    for cell in _cells(code):
        # If the cell hangs and is killed, this mark still says which one it was.
        emit({"started": _short(cell.title, MAX_NAME), "first_line": cell.first_line})
        RECORDER.reset()
        out, err = CappedText(budget), CappedText(budget)
        error = None
        started = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                compiled = compile(cell.source, filename, "exec", dont_inherit=True)
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    exec(compiled, namespace)
            except BaseException as exc:
                error = _error_info(exc, filename)
        elapsed = time.perf_counter() - started
        if os.getpid() != owner:
            os._exit(0)  # a process the example forked: only the original reports
        kept_warnings = []
        for w in caught[:MAX_WARNINGS_PER_CELL]:
            shown = {
                "category": _short(w.category.__name__, MAX_NAME),
                "message": _capped(str(w.message), MAX_MESSAGE),
                "line": w.lineno if w.filename == filename else None,
            }
            if not RECORDER.keep(len(json.dumps(shown))):
                break
            kept_warnings.append(shown)
        with RECORDER.lock:
            statements, count = list(RECORDER.statements), RECORDER.count
            over_budget = RECORDER.over_budget
        emit(
            {
                "title": _short(cell.title, MAX_NAME),
                "first_line": cell.first_line,
                "queries": count,
                "statements": statements,
                "statements_truncated": count > sum(1 for st in statements if st["sent"]),
                **flags(statements),
                "stdout": out.getvalue(),
                "stderr": err.getvalue(),
                "warnings": kept_warnings,
                "warnings_dropped": len(caught) - len(kept_warnings),
                "log_truncated": over_budget,
                "seconds": round(elapsed, 4),
                "error": error,
            }
        )
        sys.stdout.flush()
        if error is not None:
            break
    emit({"done": True, "output_dropped": budget.dropped})
