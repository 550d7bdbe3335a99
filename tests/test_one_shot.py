"""A one-shot run: a cold worker (only what capture needs imported), started ahead of the CLI,
with the same containment as a warm one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from quiz.commands import early
from quiz.sandbox import landlock
from quiz.sandbox.client import Runner
from quiz.sandbox.engines import PostgreSQL
from quiz.sandbox.process import OUR_PREFIX, WorkerProcess
from tests.test_runner import _ends_within

ROOT = Path(__file__).resolve().parent.parent

LAZY_LOOP = textwrap.dedent(
    """
    # %% setup
    import os
    from sqlalchemy import ForeignKey, create_engine, select
    from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

    class Base(DeclarativeBase):
        pass

    class Author(Base):
        __tablename__ = "authors"
        id: Mapped[int] = mapped_column(primary_key=True)
        books: Mapped[list["Book"]] = relationship()

    class Book(Base):
        __tablename__ = "books"
        id: Mapped[int] = mapped_column(primary_key=True)
        author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))

    engine = create_engine(os.environ.get("SQLAQUIZ_DATABASE_URL", "sqlite://"))
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Author(books=[Book(), Book()]) for _ in range(4)])
        s.commit()

    # %% lazy
    with Session(engine) as s:
        print(sum(len(a.books) for a in s.scalars(select(Author))))
    """
)

IMPORTED = (
    "import sys\n"
    "print(*(m in sys.modules for m in ('sqlalchemy.orm', 'fastapi', 'pydantic', 'alembic')))\n"
)


@pytest.fixture(scope="module")
def cold() -> Iterator[Runner]:
    with Runner(timeout=10, warm=False) as r:
        yield r


def test_a_cold_worker_counts_what_a_warm_one_counts(cold: Runner, runner: Runner) -> None:
    results = [cold.run(LAZY_LOOP), runner.run(LAZY_LOOP)]
    for result in results:
        assert result.ok, result.problem()
        lazy = result.cell("lazy")
        assert lazy is not None
        assert (lazy.queries, lazy.lazy_loads, lazy.stdout) == (5, 4, "8\n")
        assert [(h.relationship, h.lazy_loads) for h in lazy.n_plus_one] == [("Author.books", 4)]
    assert [c.queries for c in results[0].cells] == [c.queries for c in results[1].cells]


def test_a_cold_worker_imports_only_what_capture_needs(cold: Runner, runner: Runner) -> None:
    assert cold.run(IMPORTED).cells[0].stdout == "True False False False\n"
    assert runner.run(IMPORTED).cells[0].stdout == "True True True True\n"


def test_an_example_that_imports_fastapi_itself_is_counted_in_the_request_thread(
    cold: Runner,
) -> None:
    code = textwrap.dedent(
        """
        from fastapi import FastAPI
        from fastapi.testclient import TestClient
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import StaticPool

        engine = create_engine("sqlite://", poolclass=StaticPool,
                               connect_args={"check_same_thread": False})
        app = FastAPI()

        @app.get("/n")
        def n():
            with engine.connect() as conn:
                return conn.scalar(text("select 41 + 1"))

        with TestClient(app) as client:
            print(client.get("/n").json())
        """
    )
    result = cold.run(code)
    assert result.ok, result.problem()
    cell = result.cells[0]
    assert (cell.queries, cell.stdout) == (1, "42\n")
    assert cell.statements[0].thread != "MainThread"


CONTAINMENT = [
    ("import sys\nsys.exit(3)\n", "SystemExit at line 2: the example called sys.exit(3)"),
    ("import os\nos._exit(4)\n", "the process exited with status 4 before finishing (os._exit?)"),
    ("import ctypes\nctypes.string_at(0)\n", "the process crashed with a segmentation fault"),
    ("x = bytearray(10 * 2**30)\n", "MemoryError at line 1: out of memory: the example hit its"),
    ("while True: pass\n", "timed out after 1 s in cell 'cell 1', at line 1, and was stopped"),
]


@pytest.mark.parametrize(("code", "problem"), CONTAINMENT)
def test_a_cold_run_is_contained_and_the_next_one_works(code: str, problem: str) -> None:
    with Runner(timeout=1, warm=False) as r:
        found = r.run(code).problem()
        assert found is not None and found.startswith(problem), found
        assert r.run("print('still here')").cells[0].stdout == "still here\n"


def test_a_cold_runs_output_is_capped(cold: Runner) -> None:
    result = cold.run("print('x' * 3_000_000)\n")
    assert len(result.cells[0].stdout) == 1_000_000
    assert result.output_dropped == 3_000_001 - 1_000_000


def test_a_cold_run_has_its_own_folder_and_none_of_our_variables(
    cold: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SQLAQUIZ_DATABASE_URL", "postgresql://prod/db")
    with Runner(timeout=10, warm=False) as r:  # started with the variable set
        result = r.run(
            "import os, tempfile\n"
            "print(os.path.basename(os.getcwd()).startswith('sqlaquiz-run-'))\n"
            "print(tempfile.gettempdir() == os.getcwd())\n"
            f"print(sorted(k for k in os.environ if k.startswith({OUR_PREFIX!r})))\n"
        )
    assert result.cells[0].stdout == "True\nTrue\n[]\n"


@pytest.mark.skipif(landlock.abi_version() < 1, reason="this kernel has no Landlock")
def test_a_cold_run_is_sandboxed_away_from_the_progress_database(
    cold: Runner, isolated_home: Path
) -> None:
    isolated_home.mkdir(parents=True, exist_ok=True)
    progress = isolated_home / "progress.sqlite3"
    progress.write_bytes(b"SQLite format 3\0")
    result = cold.run(
        f"try:\n    open({str(progress)!r}, 'r+b')\n    print('opened')\n"
        "except OSError as exc:\n    print(type(exc).__name__)\n"
    )
    assert result.sandbox is not None
    assert result.sandbox.startswith(f"landlock ABI {landlock.abi_version()}")
    assert result.cells[0].stdout == "PermissionError\n"


def test_a_daemon_a_cold_run_started_does_not_outlive_it(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    code = (
        "import subprocess\np = subprocess.Popen(['sleep', '300'], start_new_session=True)\n"
        f"open({str(pidfile)!r}, 'w').write(str(p.pid))\n"
    )
    with Runner(timeout=5, sandbox=False, warm=False) as r:
        assert r.run(code).ok
    assert _ends_within(int(pidfile.read_text()), 5)


def test_the_example_dies_with_a_killed_cold_worker(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    worker = WorkerProcess(fork=True, warm=False, sandbox=False)  # the pid file is outside
    try:
        runner = Runner(timeout=30, sandbox=False, warm=False, prestarted=worker)
        code = (
            f"import os, time\nopen({str(pidfile)!r}, 'w').write(str(os.getpid()))\n"
            "time.sleep(30)\n"
        )
        worker.send(runner.request_for(code))
        deadline = time.monotonic() + 20
        while not pidfile.exists() or not pidfile.read_text():
            assert time.monotonic() < deadline
            time.sleep(0.02)
        worker.proc.kill()  # PR_SET_PDEATHSIG: the kernel ends the example too
        assert _ends_within(int(pidfile.read_text()), 5)
    finally:
        worker.close(stop=True)


# --------------------------------------------------------------------------- started ahead


def test_a_request_sent_ahead_is_the_run_when_it_is_the_same() -> None:
    worker = WorkerProcess(fork=True, warm=False)
    with Runner(timeout=10, warm=False, prestarted=worker) as r:
        # the same code, sent ahead: the run's folder shows which worker ran it (each run's
        # folder is in its worker's own temporary folder)
        code = "import os\nprint(os.path.dirname(os.getcwd()))\n"
        worker.send(r.request_for(code, "ahead.py"))
        result = r.run(code, "ahead.py")
        assert result.cells[0].stdout == f"{worker.temp}\n"
        assert r.run("print('again')").cells[0].stdout == "again\n"  # the same worker goes on


def test_a_request_sent_ahead_that_differs_is_dropped_with_its_worker() -> None:
    worker = WorkerProcess(fork=True, warm=False)
    with Runner(timeout=10, warm=False, prestarted=worker) as r:
        worker.send(r.request_for("print('not this one')", "a.py"))
        result = r.run("print('this one')", "a.py")
        assert result.cells[0].stdout == "this one\n"
        assert worker.proc.poll() is not None


def test_a_worker_started_ahead_of_another_kind_is_not_used() -> None:
    worker = WorkerProcess(fork=True, warm=False)
    with Runner(timeout=10, prestarted=worker) as r:  # a warm runner
        assert r.run(IMPORTED).cells[0].stdout == "True True True True\n"
    assert worker.proc.poll() is not None


@pytest.mark.parametrize(
    ("args", "options"),
    [
        (["run", "--file", "x.py"], {"--file": "x.py"}),
        (["run", "-f", "x.py", "--json"], {"--file": "x.py", "--json": ""}),
        (["run", "card-id", "--timeout=2.5"], {"card": "card-id", "--timeout": "2.5"}),
        (["run", "--db", "postgresql", "card-id"], {"--db": "postgresql", "card": "card-id"}),
        (["run", "card-id", "--deck", "d.yaml"], {"card": "card-id", "--deck": "d.yaml"}),
        (["run", "card-id", "--export"], None),
        (["run", "card-id", "--edit"], None),
        (["run", "card-id", "--help"], None),
        (["run", "card-id", "--file", "x.py"], None),
        (["run", "a", "b"], None),
        (["run"], None),
        (["run", "--file"], None),
        (["list"], None),
        ([], None),
    ],
)
def test_which_command_lines_start_a_worker_early(
    args: list[str], options: dict[str, str] | None
) -> None:
    assert early._parse(args) == options


def test_a_test_importing_the_cli_starts_nothing() -> None:
    assert not early._is_the_sqlaquiz_command()
    early.start_run_worker(["run", "--file", __file__])
    assert early.take() is None


# --------------------------------------------------------------------------- from the shell


def _sqlaquiz(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "quiz", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        timeout=120,
    )


def test_the_early_request_is_the_one_the_run_command_sends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "mine.py"
    script.write_text("print('mine')\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(early, "_is_the_sqlaquiz_command", lambda: True)
    early.start_run_worker(["run", "--file", "./mine.py", "--timeout", "5"])
    worker = early.take()
    assert worker is not None
    try:
        command_sends = Runner(timeout=5.0, warm=False).request_for(
            "print('mine')\n", "mine.py", script="mine.py"
        )
        assert worker.pending == command_sends
        assert (command_sends.script_dir, command_sends.cwd) == (str(tmp_path), str(tmp_path))
        assert (worker.warm, worker.database) == (False, "sqlite")
    finally:
        worker.close(stop=True)


def test_run_file_from_the_shell_leaves_nothing_behind(tmp_path: Path) -> None:
    script = tmp_path / "mine.py"
    script.write_text("import os\nprint('parent', os.getppid())\n")
    temp = tmp_path / "tmp"
    temp.mkdir()
    done = _sqlaquiz(
        "run", "--file", "./mine.py", "--json", "--timeout", "5", cwd=tmp_path,
        env={"TMPDIR": str(temp)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["card"], data["queries"], data["failures"]) == (None, 0, [])
    assert data["cells"][0]["stdout"].startswith("parent ")
    assert list(temp.iterdir()) == []


def test_run_card_from_the_shell_reports_in_full(tmp_path: Path) -> None:
    done = _sqlaquiz("run", "rel-lazy-loop-n-plus-one", cwd=tmp_path, env={"COLUMNS": "100"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("╭─ rel-lazy-loop-n-plus-one.py ─")
    assert "N+1: 5 lazy loads of Author.books" in done.stdout
    assert done.stdout.rstrip().splitlines()[-1].startswith("✓ 27 queries in 3 cells")


def test_a_bad_option_after_an_early_start_is_still_one_line(tmp_path: Path) -> None:
    script = tmp_path / "mine.py"
    script.write_text("print(1)\n")
    done = _sqlaquiz("run", "--file", str(script), "--timeout", "0.01", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        "error: Invalid value for '--timeout': Input should be greater than or equal to 0.1 "
        "(see 'python -m quiz run --help')\n"
    )


PROBE = """
import sys
from quiz.cli import app
try:
    app(sys.argv[1:])
except SystemExit:
    pass
heavy = {'rich', 'pygments', 'pydantic', 'sqlalchemy', 'fastapi'}
loaded = sorted({m.split('.')[0] for m in sys.modules} & heavy)
print('LOADED', loaded, 'markdown' if 'rich.markdown' in sys.modules else '', file=sys.stderr)
"""


@pytest.mark.parametrize(
    ("args", "loaded"),
    [
        (["--file", "mine.py", "--json", "--timeout", "5"], "LOADED [] \n"),
        (["rel-lazy-loop-n-plus-one", "--json"], "LOADED [] \n"),
        (["--file", "mine.py"], "LOADED ['pygments', 'rich'] \n"),  # pygments: its SQL keywords
    ],
)
def test_what_a_run_loads_in_the_cli_process(tmp_path: Path, args: list[str], loaded: str) -> None:
    (tmp_path / "mine.py").write_text("print(1)\n")
    for _ in range(2):  # the first fills the deck cache (loading the decks uses pydantic)
        done = subprocess.run(
            [sys.executable, "-c", PROBE, "run", *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=120,
        )
    assert done.stderr.endswith(loaded), done.stderr


def test_a_postgresql_run_in_a_cold_worker_reaches_its_database(postgres_url: str) -> None:
    database = PostgreSQL(postgres_url)
    try:
        with Runner(timeout=20, warm=False, database=database) as r:
            result = r.run(LAZY_LOOP)
    finally:
        database.close()
    assert result.ok, result.problem()
    assert result.database == "postgresql"
    lazy = result.cell("lazy")
    assert lazy is not None and lazy.queries == 5
    assert {s.dialect for s in lazy.statements} == {"postgresql"}


@pytest.mark.parametrize("kind", ["fifo", "device", "too long a timeout"])
def test_what_the_command_refuses_starts_no_run_from_the_shell(tmp_path: Path, kind: str) -> None:
    script, options = tmp_path / "script.py", []
    if kind == "fifo":
        os.mkfifo(script)  # nobody writes: reading it would wait for ever
    elif kind == "device":
        script = Path("/dev/zero")  # reading it would never end
    else:
        script.write_text("import time\ntime.sleep(60)\n")
        options = ["--timeout", "5000"]
    temp = tmp_path / "tmp"
    temp.mkdir()
    done = _sqlaquiz(
        "run", "--file", str(script), *options, cwd=tmp_path, env={"TMPDIR": str(temp)}
    )
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1
    says = "not a regular file" if kind != "too long a timeout" else "less than or equal to 3600"
    assert says in done.stderr
    assert list(temp.iterdir()) == []


def test_run_file_runs_a_script_as_python_would(tmp_path: Path) -> None:
    """The script's folder is importable and relative paths start where the user ran it; in
    the sandbox both are readable and only the run's own folder is writable."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "models.py").write_text("NAME = 'the models module'\n")
    (tmp_path / "data.txt").write_text("data beside the user\n")
    (tmp_path / "app" / "main.py").write_text(
        "import os\nimport models\nprint(models.NAME)\n"
        "with open('data.txt') as f:\n    print(f.read().strip())\n"
        "print(os.getcwd())\n"
    )
    done = _sqlaquiz("run", "--file", "app/main.py", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["cells"][0]["stdout"] == f"the models module\ndata beside the user\n{tmp_path}\n"
    plain = subprocess.run(
        [sys.executable, "app/main.py"], capture_output=True, text=True, cwd=tmp_path
    )
    assert plain.stdout == data["cells"][0]["stdout"]  # the same as plain python


def test_a_worker_started_ahead_with_another_sandbox_setting_is_not_used() -> None:
    worker = WorkerProcess(fork=True, warm=False, sandbox=True)
    with Runner(timeout=10, warm=False, sandbox=False, prestarted=worker) as r:
        assert r.run("print('ran')").sandbox == "off"
    assert worker.proc.poll() is not None
