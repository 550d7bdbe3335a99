"""The example runner: exact statement capture, flags, errors and containment."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from quiz.sandbox.client import Runner
from quiz.sandbox.protocol import CapturedWarning, NPlusOne

MODELS = textwrap.dedent(
    """
    # %% setup
    from sqlalchemy import ForeignKey, create_engine, select
    from sqlalchemy.orm import (DeclarativeBase, Mapped, Session, joinedload,
                                mapped_column, relationship, selectinload)

    class Base(DeclarativeBase):
        pass

    class Author(Base):
        __tablename__ = "authors"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str]
        books: Mapped[list["Book"]] = relationship(back_populates="author")

    class Book(Base):
        __tablename__ = "books"
        id: Mapped[int] = mapped_column(primary_key=True)
        author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))
        author: Mapped[Author] = relationship(back_populates="books")

    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Author(name=f"a{i}", books=[Book(), Book()]) for i in range(10)])
        s.commit()
    """
)


def test_lazy_loop_is_n_plus_one_and_flagged(runner: Runner) -> None:
    code = MODELS + textwrap.dedent(
        """
        # %% lazy
        with Session(engine) as s:
            for a in s.scalars(select(Author)):
                n = len(a.books)
        """
    )
    result = runner.run(code)
    assert result.ok
    lazy = result.cell("lazy")
    assert lazy is not None
    assert lazy.queries == 11
    assert lazy.lazy_loads == 10
    assert {s.relationship for s in lazy.statements if s.load == "lazy"} == {"Author.books"}
    assert lazy.n_plus_one == [NPlusOne("Author.books", 10)]
    # the ten lazy loads share one SQL text with different parameters
    assert [s.similar_to for s in lazy.statements[2:]] == [2] * 9


def test_selectinload_is_two_queries(runner: Runner) -> None:
    code = MODELS + textwrap.dedent(
        """
        # %% selectin
        with Session(engine) as s:
            authors = s.scalars(select(Author).options(selectinload(Author.books))).all()
            print(sum(len(a.books) for a in authors))
        """
    )
    result = runner.run(code)
    cell = result.cell("selectin")
    assert cell is not None
    assert cell.queries == 2
    assert [s.load for s in cell.statements] == [None, "selectin"]
    assert cell.stdout == "20\n"
    assert cell.n_plus_one == []


def test_joinedload_is_one_query(runner: Runner) -> None:
    code = MODELS + textwrap.dedent(
        """
        # %% joined
        with Session(engine) as s:
            authors = s.scalars(select(Author).options(joinedload(Author.books))).unique().all()
            print(sum(len(a.books) for a in authors))
        """
    )
    cell = runner.run(code).cell("joined")
    assert cell is not None
    assert cell.queries == 1
    assert "JOIN books" in cell.statements[0].sql
    assert cell.stdout == "20\n"


def test_duplicate_statements_are_marked(runner: Runner) -> None:
    code = (
        "from sqlalchemy import create_engine, text\n"
        "e = create_engine('sqlite://')\n"
        "with e.connect() as c:\n"
        "    c.execute(text('select :x'), {'x': 1})\n"
        "    c.execute(text('select :x'), {'x': 1})\n"
        "    c.execute(text('select :x'), {'x': 2})\n"
    )
    st = runner.run(code).cells[0].statements
    assert [(s.duplicate_of, s.similar_to) for s in st] == [(None, None), (1, None), (None, 1)]


def test_fastapi_request_thread_is_counted(runner: Runner) -> None:
    code = textwrap.dedent(
        """
        # %% app
        from fastapi import FastAPI
        from fastapi.testclient import TestClient
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import StaticPool

        engine = create_engine("sqlite://", poolclass=StaticPool,
                               connect_args={"check_same_thread": False})
        app = FastAPI()

        @app.get("/n")
        def n() -> dict:
            with engine.connect() as c:
                a = c.execute(text("select 1")).scalar()
                b = c.execute(text("select 2")).scalar()
            return {"sum": a + b}

        # %% request
        with TestClient(app) as client:
            print(client.get("/n").json())
        """
    )
    result = runner.run(code)
    assert result.ok, result.problem()
    cell = result.cell("request")
    assert cell is not None
    assert cell.queries == 2
    assert cell.stdout == "{'sum': 3}\n"
    assert all(s.thread != "MainThread" for s in cell.statements)


def test_async_engine_is_counted(runner: Runner) -> None:
    code = textwrap.dedent(
        """
        import asyncio
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        async def main():
            engine = create_async_engine("sqlite+aiosqlite://")
            async with engine.connect() as conn:
                for i in range(3):
                    await conn.execute(text("select :i"), {"i": i})
            await engine.dispose()
            print("done")

        asyncio.run(main())
        """
    )
    result = runner.run(code)
    assert result.ok, result.problem()
    assert result.queries == 3
    assert result.cells[0].stdout == "done\n"


def test_error_reports_type_message_and_example_line(runner: Runner) -> None:
    code = "# %% one\nx = 1\n# %% two\n\ny = {}\ny['missing']\n# %% three\nprint('never')\n"
    result = runner.run(code)
    assert [c.title for c in result.cells] == ["one", "two"]
    err = result.error
    assert err is not None
    assert (err.type, err.qualname, err.message, err.line) == (
        "KeyError",
        "builtins.KeyError",
        "'missing'",
        6,
    )
    assert result.problem() == "KeyError at line 6: 'missing'"


def test_warnings_are_captured_with_their_line(runner: Runner) -> None:
    result = runner.run("import warnings\n\nwarnings.warn('careful', DeprecationWarning)\n")
    assert result.cells[0].warnings == [CapturedWarning("DeprecationWarning", "careful", 3)]


def test_no_state_leaks_between_runs(runner: Runner) -> None:
    first = runner.run("import sys\nsys.modules['leak'] = 1\nGLOBAL = 5\n")
    assert first.ok
    second = runner.run("import sys\nprint('leak' in sys.modules, 'GLOBAL' in globals())\n")
    assert second.cells[0].stdout == "False False\n"


def test_environment_hides_the_progress_database(runner: Runner) -> None:
    result = runner.run("import os\nprint(sorted(k for k in os.environ if 'SQLAQUIZ' in k))\n")
    assert result.cells[0].stdout == "[]\n"


def test_runs_in_a_temporary_folder(runner: Runner) -> None:
    result = runner.run(
        "import os\nprint(os.path.basename(os.getcwd()).startswith('sqlaquiz-run-'))"
        "\nopen('scratch.txt', 'w').write('x')\n"
    )
    assert result.cells[0].stdout == "True\n"


CONTAINMENT = [
    ("import sys\nsys.exit(3)\n", "SystemExit at line 2: the example called sys.exit(3)"),
    ("import os\nos._exit(4)\n", "the process exited with status 4 before finishing (os._exit?)"),
    (
        "import ctypes\nctypes.string_at(0)\n",
        "the process crashed with a segmentation fault (SIGSEGV)",
    ),
    (
        "raise KeyboardInterrupt\n",
        "KeyboardInterrupt at line 1: the example raised KeyboardInterrupt",
    ),
    (
        "x = bytearray(10 * 2**30)\n",
        "MemoryError at line 1: out of memory: the example hit its memory cap",
    ),
]


@pytest.mark.parametrize(("code", "problem"), CONTAINMENT)
def test_containment_reports_one_line_and_carries_on(code: str, problem: str) -> None:
    with Runner(timeout=5) as r:
        result = r.run(code)
        assert result.problem() == problem
        assert not result.ok
        after = r.run("print('still here')")
        assert after.ok and after.cells[0].stdout == "still here\n"


def test_infinite_loop_times_out() -> None:
    with Runner(timeout=0.5) as r:
        result = r.run("# %% setup\nx = 1\n# %% spin\nprint('start')\nwhile True: pass\n")
        assert result.timed_out and not result.finished
        assert result.problem() == (
            "timed out after 0.5 s in cell 'spin', at line 5, and was stopped"
        )
        # the cell that hung is in the report, with what it printed before it was stopped
        assert [c.title for c in result.cells] == ["setup", "spin"]
        hung = result.cells[1]
        assert hung.stdout == "start\n"
        assert hung.error is not None
        assert (hung.error.type, hung.error.message) == (
            "Timeout",
            "still running after 0.5 s: stopped here",
        )
        assert r.run("print(1)").cells[0].stdout == "1\n"


def test_huge_output_is_capped_and_marked() -> None:
    with Runner(timeout=10) as r:
        result = r.run("print('x' * 100_000_000)\n")
        assert result.ok
        assert len(result.cells[0].stdout) == 1_000_000
        assert result.output_dropped == 100_000_001 - 1_000_000


def test_fresh_process_fallback_gives_the_same_counts() -> None:
    code = (
        MODELS
        + "\n# %% lazy\nwith Session(engine) as s:\n"
        + "    [a.books for a in s.scalars(select(Author))]\n"
    )
    with Runner(timeout=20, fork=False) as r:
        result = r.run(code)
    assert result.ok, result.problem()
    cell = result.cell("lazy")
    assert cell is not None and cell.queries == 11 and cell.lazy_loads == 10


def test_failed_statement_is_counted_and_the_real_exception_reported(runner: Runner) -> None:
    code = (
        "from sqlalchemy import create_engine, text\n"
        "e = create_engine('sqlite://')\n"
        "with e.connect() as c:\n"
        "    c.execute(text('create table t (id integer primary key)'))\n"
        "    c.execute(text('insert into t values (1)'))\n"
        "    c.execute(text('insert into t values (1)'))\n"
    )
    result = runner.run(code)
    cell = result.cells[0]
    assert cell.queries == 3
    assert [s.failed for s in cell.statements] == [False, False, True]
    assert result.error is not None and result.error.type == "IntegrityError"
    assert result.error.line == 6


def test_subqueryload_statement_is_tagged(runner: Runner) -> None:
    code = MODELS + textwrap.dedent(
        """
        # %% subquery
        from sqlalchemy.orm import subqueryload
        with Session(engine) as s:
            authors = s.scalars(select(Author).options(subqueryload(Author.books))).all()
        """
    )
    cell = runner.run(code).cell("subquery")
    assert cell is not None
    assert cell.queries == 2
    assert [(s.load, s.relationship) for s in cell.statements] == [
        (None, None),
        ("subquery", "Author.books"),
    ]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return False


def _ends_within(pid: int, seconds: float) -> bool:
    """True once the process is gone (or a zombie), False if it still runs after `seconds`."""
    deadline = time.monotonic() + seconds
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    return not _alive(pid)


ESCAPES = [
    # leaves its process group, then loops: the timeout must still end it
    "import os\nopen(PIDFILE, 'w').write(str(os.getpid()))\nos.setpgid(0, os.getppid())\n"
    "while True:\n    pass\n",
    # starts a daemon in a new session and finishes normally
    "import subprocess\np = subprocess.Popen(['sleep', '300'], start_new_session=True)\n"
    "open(PIDFILE, 'w').write(str(p.pid))\n",
]


@pytest.mark.parametrize("code", ESCAPES, ids=["left-process-group", "new-session-daemon"])
def test_nothing_an_example_starts_outlives_its_run(code: str, tmp_path) -> None:  # type: ignore[no-untyped-def]

    pidfile = tmp_path / "pid"
    with Runner(timeout=1, sandbox=False) as r:
        r.run(f"PIDFILE = {str(pidfile)!r}\n" + code)
        assert r.run("print('next')").cells[0].stdout == "next\n"
    pid = int(pidfile.read_text())
    assert _ends_within(pid, 5)


def test_example_that_kills_the_worker_is_reported_and_the_next_run_works(tmp_path: Path) -> None:
    note = tmp_path / "cwd"
    with Runner(timeout=5, sandbox=False) as r:
        code = f"import os\nopen({str(note)!r}, 'w').write(os.getcwd())\nos.kill(os.getppid(), 9)\n"
        result = r.run(code)
        assert result.problem() == "the example worker stopped unexpectedly"
        assert r.run("print('fresh worker')").cells[0].stdout == "fresh worker\n"
    killed_run_folder = Path(note.read_text())
    assert killed_run_folder.name.startswith("sqlaquiz-run-")
    assert not killed_run_folder.exists()  # it goes with its worker's folder, also when killed


def test_an_example_that_removes_its_temporary_folder_does_not_break_the_next_run() -> None:
    with Runner(timeout=5) as r:  # sandboxed: its temporary folder is its own run folder,
        # which it may empty but not remove
        result = r.run("import shutil, tempfile\nshutil.rmtree(tempfile.gettempdir())\n")
        assert result.error is not None and result.error.type == "PermissionError"
        assert result.crash is None
        assert r.run("print('next')").cells[0].stdout == "next\n"
    with Runner(timeout=5, sandbox=False) as r:  # no sandbox: it can remove the worker's folder
        result = r.run("import os, shutil\nshutil.rmtree(os.path.dirname(os.getcwd()))\n")
        # its own result file went with the folder
        assert result.crash == (
            "the example's results were garbled (did it write to files it does not own?)"
        )
        assert r.run("print('next')").cells[0].stdout == "next\n"


def test_a_daemon_started_by_an_example_that_kills_the_worker_ends_with_the_runner(
    tmp_path: Path,
) -> None:
    pidfile = tmp_path / "pid"
    code = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        f"    open({str(pidfile)!r}, 'w').write(str(os.getpid()))\n"
        "    time.sleep(60)\n"
        "    os._exit(0)\n"
        f"while not os.path.exists({str(pidfile)!r}): time.sleep(0.01)\n"
        "time.sleep(0.1)\n"
        "os.kill(os.getppid(), 9)\n"
    )
    with Runner(timeout=5, sandbox=False) as r:
        assert r.run(code).problem() == "the example worker stopped unexpectedly"
    daemon = int(pidfile.read_text())
    assert _ends_within(daemon, 2)  # a kill takes effect soon, not at once


def test_a_scratch_module_in_the_users_folder_cannot_shadow_libraries(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "sqlalchemy.py").write_text("print('my scratch file')\n")
    monkeypatch.chdir(tmp_path)
    with Runner(timeout=5) as r:
        result = r.run(
            "import sqlalchemy\nprint(sqlalchemy.__name__, hasattr(sqlalchemy, 'select'))"
        )
    assert result.ok, result.problem()
    assert result.cells[0].stdout == "sqlalchemy True\n"


def test_an_example_that_forks_does_not_corrupt_its_result(runner: Runner) -> None:
    code = (
        "# %% fork\nimport os\npid = os.fork()\nprint('parent' if pid else 'child')\n"
        "# %% after\nprint('after')\n"
    )
    result = runner.run(code)
    assert [c.title for c in result.cells] == ["fork", "after"]
    assert result.cells[0].stdout == "parent\n"
    assert result.cells[1].stdout == "after\n"


def test_closing_during_a_run_stops_the_example_and_what_it_started(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """What Ctrl-C in a session does: the runner closes while a run is still going."""
    import threading

    pidfile = tmp_path / "pid"
    code = (
        f"import subprocess, time\np = subprocess.Popen(['sleep', '300'])\n"
        f"open({str(pidfile)!r}, 'w').write(str(p.pid))\ntime.sleep(30)\n"
    )
    r = Runner(timeout=60, sandbox=False)
    results = []
    thread = threading.Thread(target=lambda: results.append(r.run(code)))
    thread.start()
    deadline = time.monotonic() + 20
    while not pidfile.exists() or not pidfile.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    r.close()
    thread.join(10)
    assert not thread.is_alive()
    assert results and results[0].crash == "the example worker stopped unexpectedly"
    pid = int(pidfile.read_text())
    assert _ends_within(pid, 5)


def test_output_caps_hold_for_messages_warnings_and_sql(runner: Runner) -> None:
    code = (
        "import warnings\n"
        "for i in range(80):\n"
        "    warnings.warn(f'w{i}')\n"
        "from sqlalchemy import create_engine, text\n"
        "e = create_engine('sqlite://')\n"
        "with e.connect() as c:\n"
        "    c.execute(text(\"select '\" + 'x' * 10_000 + \"'\"))\n"
        "raise ValueError('x' * 50_000)\n"
    )
    cell = runner.run(code).cells[0]
    assert len(cell.warnings) == 50 and cell.warnings_dropped == 30
    assert len(cell.statements[0].sql) < 4_100
    assert cell.error is not None and cell.error.message.endswith("… (48,000 more characters)")


def test_an_exception_whose_str_fails_is_still_reported(runner: Runner) -> None:
    code = (
        "class Odd(Exception):\n    def __str__(self):\n        raise RuntimeError\nraise Odd()\n"
    )
    result = runner.run(code)
    assert result.problem() == "Odd at line 4: <Odd whose str() failed>"


def test_an_example_cannot_write_into_the_reply_pipe(runner: Runner) -> None:
    code = (
        "import os\nwritten = []\n"
        "for fd in range(3, 64):\n"
        "    try:\n"
        "        os.write(fd, b'garbage\\n')\n"
        "        written.append(fd)\n"
        "    except OSError:\n"
        "        pass\n"
        "print('done')\n"
    )
    result = runner.run(code)
    # it may spoil its own results, but it is told in one line, and the next run is clean
    assert result.ok or result.problem() == (
        "the example's results were garbled (did it write to files it does not own?)"
    )
    assert runner.run("print('still fine')").cells[0].stdout == "still fine\n"


def test_examples_do_not_inherit_sqlaquiz_future_imports(runner: Runner) -> None:
    """As with plain python, annotations are evaluated: a FastAPI Annotated alias defined in a
    function works (capture.py itself uses `from __future__ import annotations`)."""
    result = runner.run("def f(x: int) -> None:\n    pass\nprint(f.__annotations__['x'])\n")
    assert result.cells[0].stdout == "<class 'int'>\n"
