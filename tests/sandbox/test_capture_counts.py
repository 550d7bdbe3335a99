"""A statement counts when the driver was asked to run it, once: exact counts per driver, what
the report shows for an attempt that never got there, and a yardstick sqlaquiz did not write."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from quiz.sandbox.client import CellResult, Runner, RunResult
from quiz.ui import run_report as render
from quiz.ui.run_json import run_json

ORACLE = Path(__file__).with_name("statement_oracle.py")
POSTGRES_ENV = "SQLAQUIZ_TEST_POSTGRES_URL"

MODELS = textwrap.dedent(
    """
    class Base(DeclarativeBase):
        pass

    class Unreadable(TypeDecorator):  # a value that cannot come back from the database
        impl = String
        cache_ok = True
        def process_result_value(self, value, dialect):
            raise ValueError(f"cannot convert {value!r}")

    class Event(Base):
        __tablename__ = "events"
        id: Mapped[int] = mapped_column(primary_key=True)
        at: Mapped[datetime.datetime] = mapped_column(DateTime)

    class Tag(Base):
        __tablename__ = "tags"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(Unreadable(20), server_default="x")
    """
)

# Every case catches its exception, so each cell runs; the prints prove what was raised.
SYNC_CASES = textwrap.dedent(
    """
    # %% setup
    import datetime, os
    from sqlalchemy import DateTime, String, TypeDecorator, create_engine, event, text
    from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

    engine = create_engine(os.environ.get("SQLAQUIZ_DATABASE_URL", "sqlite://"))

    {models}
    Base.metadata.create_all(engine)

    def attempt(step):
        try:
            step()
        except Exception as exc:
            print("raised", type(exc).__name__)

    # %% missing bind
    def missing_bind():
        with engine.connect() as conn:
            conn.execute(text("SELECT :x"))
    attempt(missing_bind)

    # %% str in datetime
    def str_in_datetime():
        with Session(engine) as s:
            s.add(Event(at="not a date"))
            s.flush()
    attempt(str_in_datetime)

    # %% returning
    def returning():
        with Session(engine) as s:
            s.add(Tag())
            s.flush()
    attempt(returning)

    # %% guard
    @event.listens_for(engine, "before_cursor_execute")
    def no_delete(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("DELETE"):
            raise RuntimeError("no DELETE here")

    def guard():
        with engine.begin() as conn:
            conn.execute(text("SELECT 1"))
            conn.execute(text("DELETE FROM events"))
    attempt(guard)
    """
).replace("{models}", MODELS)

ASYNC_CASES = textwrap.dedent(
    """
    # %% setup
    import asyncio, datetime, os
    from sqlalchemy import DateTime, String, TypeDecorator, event, text
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

    # a file, not memory: every asyncio.run below ends with dispose()
    engine = create_async_engine(
        os.environ.get("SQLAQUIZ_ASYNC_DATABASE_URL", "sqlite+aiosqlite:///cases.db"))
    Session = async_sessionmaker(engine)

    {models}
    async def create():
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        await engine.dispose()  # asyncpg connections belong to the loop that opened them

    asyncio.run(create())

    def attempt(step):
        async def go():
            try:
                await step()
            except Exception as exc:
                print("raised", type(exc).__name__)
            await engine.dispose()
        asyncio.run(go())

    # %% missing bind
    async def missing_bind():
        async with engine.connect() as conn:
            await conn.execute(text("SELECT :x"))
    attempt(missing_bind)

    # %% str in datetime
    async def str_in_datetime():
        async with Session() as s:
            s.add(Event(at="not a date"))
            await s.flush()
    attempt(str_in_datetime)

    # %% returning
    async def returning():
        async with Session() as s:
            s.add(Tag())
            await s.flush()
    attempt(returning)

    # %% guard
    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def no_delete(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("DELETE"):
            raise RuntimeError("no DELETE here")

    async def guard():
        async with engine.begin() as conn:
            await conn.execute(text("SELECT 1"))
            await conn.execute(text("DELETE FROM events"))
    attempt(guard)

    # %% missing greenlet
    async def expired():
        async with Session() as s:  # expire_on_commit=True: reading e.at needs a SELECT
            e = Event(at=datetime.datetime(2024, 1, 1))
            s.add(e)
            await s.commit()
            e.at
    attempt(expired)
    """
).replace("{models}", MODELS)

# (cell, queries counted, statements shown but not sent) per driver; measured against what the
# driver received (see the oracle test below).
COMMON = {"missing bind": (0, 1), "returning": (1, 0), "guard": (1, 1)}
EXPECTED = {
    # SQLite's DateTime bind processor refuses a str before anything is sent...
    "pysqlite": {**COMMON, "str in datetime": (0, 1)},
    "aiosqlite": {**COMMON, "str in datetime": (0, 1), "missing greenlet": (1, 1)},
    # ...PostgreSQL's drivers take it: psycopg sends it and the server rejects it; asyncpg
    # prepares it on the server, then fails to encode the argument.
    "psycopg": {**COMMON, "str in datetime": (1, 0)},
    "asyncpg": {**COMMON, "str in datetime": (1, 0), "missing greenlet": (1, 1)},
}
RAISED = {
    "missing bind": "raised StatementError\n",
    "returning": "raised ValueError\n",
    "guard": "raised RuntimeError\n",
}


def counts(result: RunResult) -> dict[str, tuple[int, int]]:
    return {c.title: (c.queries, len(c.not_sent)) for c in result.cells if c.title != "setup"}


def cell(result: RunResult, title: str) -> CellResult:
    found = result.cell(title)
    assert found is not None, [c.title for c in result.cells]
    return found


def check_cases(result: RunResult, driver: str) -> None:
    assert result.ok, result.problem()
    assert counts(result) == EXPECTED[driver]
    for title, printed in RAISED.items():
        assert cell(result, title).stdout == printed
    bind = cell(result, "missing bind").statements
    assert [(s.sent, s.failed, s.n) for s in bind] == [(False, True, None)]
    assert bind[0].error == "InvalidRequestError: A value is required for bind parameter 'x'"
    # the guard: SELECT ran and is #1; the refused DELETE is shown, never numbered
    guard = cell(result, "guard").statements
    assert [(s.sql, s.n, s.sent, s.error) for s in guard] == [
        ("SELECT 1", 1, True, None),
        ("DELETE FROM events", None, False, "RuntimeError: no DELETE here"),
    ]
    # RETURNING ran once; its value failed afterwards: not a failed statement, not twice
    returning = cell(result, "returning").statements
    assert [(s.n, s.sent, s.failed) for s in returning] == [(1, True, False)]
    assert returning[0].sql.startswith("INSERT INTO tags DEFAULT VALUES RETURNING")
    if "missing greenlet" in EXPECTED[driver]:
        lazy = cell(result, "missing greenlet").statements
        assert [(s.sql.split()[0], s.sent) for s in lazy] == [("INSERT", True), ("SELECT", False)]
        assert lazy[1].error is not None and lazy[1].error.startswith("MissingGreenlet: ")


def test_sync_sqlite_counts_only_what_reached_the_driver(runner: Runner) -> None:
    result = runner.run(SYNC_CASES)
    check_cases(result, "pysqlite")
    str_cell = cell(result, "str in datetime")
    assert str_cell.stdout == "raised StatementError\n"
    assert [s.error for s in str_cell.statements] == [
        "TypeError: SQLite DateTime type only accepts Python datetime and date objects as input."
    ]


def test_async_sqlite_counts_only_what_reached_the_driver(runner: Runner) -> None:
    result = runner.run(ASYNC_CASES)
    check_cases(result, "aiosqlite")
    assert cell(result, "missing greenlet").stdout == "raised StatementError\n"


def test_report_shows_an_attempt_as_not_sent_with_the_reason(runner: Runner) -> None:
    result = runner.run(SYNC_CASES)
    console = Console(file=io.StringIO(), width=120, color_system=None)
    console.print(render.report(result))
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    assert "cell 5/5 · guard — 1 query · 1 not sent" in shown
    assert "cell 4/5 · returning — 1 query ─" in shown
    guard = shown[shown.index("cell 5/5 · guard") :]
    lines = [line.strip("│ ") for line in guard.splitlines()]
    at = lines.index("not sent")
    assert lines[at - 2].startswith("#1  ")  # the SELECT: "#1  0.05 ms", timing varies
    assert lines[at - 1 : at + 3] == [
        "SELECT 1",
        "not sent",
        "DELETE FROM events",
        "stopped before the driver: RuntimeError: no DELETE here",
    ]
    assert "(setup: 6 · missing bind: 0 · str in datetime: 0 · returning: 1 · guard: 1)" in shown


def test_json_marks_an_attempt_as_not_sent(runner: Runner) -> None:
    data = run_json(None, runner.run(SYNC_CASES))
    bind = next(c for c in data["cells"] if c["title"] == "missing bind")
    assert bind["queries"] == 0
    shown = [(s["sent"], s["n"], s["sql"]) for s in bind["statements"]]
    assert shown == [(False, None, "SELECT ?")]
    assert data["queries"] == 8  # 6 in setup, the INSERT ... RETURNING, the SELECT 1
    json.dumps(data)  # stays plain JSON


def test_transactions_count_savepoints_not_begin_or_commit(runner: Runner) -> None:
    code = textwrap.dedent(
        """
        from sqlalchemy import create_engine, text
        engine = create_engine("sqlite://")
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            with conn.begin_nested():
                conn.execute(text("INSERT INTO t VALUES (1)"))
            nested = conn.begin_nested()
            conn.execute(text("INSERT INTO t VALUES (2)"))
            nested.rollback()
        """
    )
    only = runner.run(code).cells[0]
    assert [s.sql for s in only.statements] == [
        "CREATE TABLE t (x INTEGER)",
        "SAVEPOINT sa_savepoint_1",
        "INSERT INTO t VALUES (1)",
        "RELEASE SAVEPOINT sa_savepoint_1",
        "SAVEPOINT sa_savepoint_2",
        "INSERT INTO t VALUES (2)",
        "ROLLBACK TO SAVEPOINT sa_savepoint_2",
    ]
    assert only.queries == 7


def test_listener_order_and_handlers_that_run_the_statement_themselves(runner: Runner) -> None:
    code = textwrap.dedent(
        """
        from sqlalchemy import create_engine, event, text
        from sqlalchemy.engine import Engine

        # %% refused first
        # registered on the class, in front of every other listener (sqlaquiz's too)
        def refuse(conn, cursor, statement, parameters, context, executemany):
            if "refuse me" in statement:
                raise PermissionError("refused")
        event.listen(Engine, "before_cursor_execute", refuse, insert=True)
        engine = create_engine("sqlite://")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            try:
                conn.execute(text("SELECT 'refuse me'"))
            except PermissionError:
                pass

        # %% handled by a listener
        # a do_execute handler that runs the statement itself: it still reached the driver
        other = create_engine("sqlite://")
        @event.listens_for(other, "do_execute")
        def run_it(cursor, statement, parameters, context):
            cursor.execute(statement, parameters)
            return True
        with other.connect() as conn:
            conn.execute(text("SELECT :x"), {"x": 1})
            try:
                conn.execute(text("SELECT * FROM missing WHERE 1 = :x"), {"x": 1})
            except Exception as exc:
                print(type(exc).__name__)
        """
    )
    result = runner.run(code)
    assert result.ok, result.problem()
    refused = cell(result, "refused first")
    assert [(s.sql, s.sent) for s in refused.statements] == [
        ("SELECT 1", True),
        ("SELECT 'refuse me'", False),
    ]
    assert refused.queries == 1
    handled = cell(result, "handled by a listener")
    assert handled.stdout == "OperationalError\n"
    assert [(s.n, s.sent, s.failed) for s in handled.statements] == [
        (1, True, False),
        (2, True, True),
    ]
    assert handled.statements[1].error == "OperationalError: no such table: missing"


# --------------------------------------------------------------------------- the yardstick


def oracle_counts(examples: list[dict[str, Any]], jobs: int = 2) -> dict[str, Any]:
    """Per-cell counts from tests/sandbox/statement_oracle.py in a bare interpreter."""
    proc = subprocess.run(
        [sys.executable, "-W", "ignore", str(ORACLE), "--jobs", str(jobs)],
        input=json.dumps(examples),
        capture_output=True,
        text=True,
        timeout=240,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},  # no sqlaquiz in reach
        cwd=ORACLE.parent,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def per_cell(result: RunResult) -> list[list[object]]:
    return [[c.title, c.queries] for c in result.cells]


def test_oracle_agrees_on_the_cases(runner: Runner) -> None:
    oracle = oracle_counts(
        [
            {"id": "sync", "code": SYNC_CASES, "env": {}},
            {"id": "async", "code": ASYNC_CASES, "env": {}},
        ]
    )
    assert oracle["sync"]["cells"] == per_cell(runner.run(SYNC_CASES))
    assert oracle["async"]["cells"] == per_cell(runner.run(ASYNC_CASES))
    # and the oracle itself is not blind: the guard's SELECT and the RETURNING count
    assert ["guard", 1] in oracle["sync"]["cells"] and ["returning", 1] in oracle["sync"]["cells"]


def test_every_bundled_example_matches_the_oracle_cell_by_cell(
    bundled_results: dict[str, RunResult], bundled_examples: dict[str, str]
) -> None:
    oracle = oracle_counts(
        [{"id": cid, "code": code, "env": {}} for cid, code in bundled_examples.items()]
    )
    differ = {
        cid: {"sqlaquiz": per_cell(result), "oracle": oracle[cid]}
        for cid, result in bundled_results.items()
        if per_cell(result) != oracle[cid]["cells"]
    }
    assert differ == {}
    assert len(oracle) == len(bundled_examples) >= 60


# --------------------------------------------------------------------------- PostgreSQL


def postgres_server() -> str:
    """The server URL from SQLAQUIZ_TEST_POSTGRES_URL; skip without it (fail on CI)."""
    url = os.environ.get(POSTGRES_ENV, "").strip()
    if not url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {POSTGRES_ENV} is not set: the PostgreSQL checks must run")
        pytest.skip(f"set {POSTGRES_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/postgres)")
    return url


@contextlib.contextmanager
def fresh_database(server: str) -> Iterator[dict[str, str]]:
    """A new database on the server, dropped afterwards; yields the examples' environment."""
    psycopg = pytest.importorskip("psycopg")
    from sqlalchemy.engine import make_url

    name = f"sqlaquiz_test_{uuid.uuid4().hex[:12]}"
    base = make_url(server)
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        db = base.set(database=name)
        yield {
            "SQLAQUIZ_DATABASE_URL": db.set(drivername="postgresql+psycopg").render_as_string(
                hide_password=False
            ),
            "SQLAQUIZ_ASYNC_DATABASE_URL": db.set(drivername="postgresql+asyncpg").render_as_string(
                hide_password=False
            ),
        }
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class _GivenDatabase:
    """A database engine that hands every run the same, already created database."""

    name = "postgresql"

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    @contextlib.contextmanager
    def provision(self) -> Iterator[dict[str, str]]:
        yield self.env

    def close(self) -> None:
        pass


def run_on(env: dict[str, str], code: str, monkeypatch: pytest.MonkeyPatch) -> RunResult:
    """Run on the database `env` points at."""
    with Runner(timeout=30, database=_GivenDatabase(env)) as fresh:
        return fresh.run(code)


@pytest.mark.parametrize(
    ("driver", "code"),
    [("psycopg", SYNC_CASES), ("asyncpg", ASYNC_CASES)],
    ids=["psycopg", "asyncpg"],
)
def test_postgresql_counts_only_what_reached_the_driver(
    driver: str, code: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = postgres_server()
    with fresh_database(server) as env:
        result = run_on(env, code, monkeypatch)
    check_cases(result, driver)
    sent_and_failed = cell(result, "str in datetime").statements
    assert [(s.n, s.sent, s.failed) for s in sent_and_failed] == [(1, True, True)]
    reason = sent_and_failed[0].error or ""
    if driver == "psycopg":  # the server rejected it
        assert reason.startswith("InvalidDatetimeFormat: invalid input syntax for type timestamp")
        assert cell(result, "str in datetime").stdout == "raised DataError\n"
    else:  # asyncpg prepared it on the server, then could not encode the argument
        assert reason.startswith("DataError: invalid input for query argument $1: 'not a date'")
    with fresh_database(server) as env:
        oracle = oracle_counts([{"id": driver, "code": code, "env": env}], jobs=1)
    assert oracle[driver]["cells"] == per_cell(result)


def test_every_bundled_postgresql_example_matches_the_oracle(pg_runner: Runner) -> None:
    """The same yardstick on PostgreSQL, for the cards that list it in `databases`; each run,
    sqlaquiz's and the oracle's, gets a database of its own."""
    server = postgres_server()
    from quiz.deck.loader import load_library

    cards = [c for c in load_library().cards if c.example and "postgresql" in c.databases]
    if not cards:
        pytest.skip("no bundled card lists postgresql in `databases` yet")
    results = pg_runner.run_many([(c.example or "", f"{c.id}.py") for c in cards])
    mine = {c.id: per_cell(r) for c, r in zip(cards, results, strict=True)}
    with contextlib.ExitStack() as stack:
        examples = [
            {"id": c.id, "code": c.example, "env": stack.enter_context(fresh_database(server))}
            for c in cards
        ]
        oracle = oracle_counts(examples)
    differ = {
        cid: {"sqlaquiz": cells, "oracle": oracle[cid]}
        for cid, cells in mine.items()
        if cells != oracle[cid]["cells"]
    }
    assert differ == {}
