"""Where a run's database comes from: SQLite by default, a fresh PostgreSQL database per run."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from quiz.cli import app
from quiz.sandbox import engines, pg_local
from quiz.sandbox.client import Runner

cli = CliRunner()

BATCHED = """\
# %% setup
import os
from sqlalchemy import String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

class Base(DeclarativeBase):
    pass

class Reading(Base):
    __tablename__ = "readings"
    id: Mapped[int] = mapped_column(primary_key=True)
    sensor: Mapped[str] = mapped_column(String(20))

engine = create_engine(os.environ.get("SQLAQUIZ_DATABASE_URL", "sqlite://"))
Base.metadata.create_all(engine)
session = Session(engine)

# %% add_all
session.add_all([Reading(sensor="s1") for n in range(5)])
session.flush()
print("dialect:", engine.dialect.name)
"""

WHERE_AM_I = """\
import os
from sqlalchemy import create_engine, text
engine = create_engine(os.environ.get("SQLAQUIZ_DATABASE_URL", "sqlite://"))
with engine.connect() as conn:
    print("db:", conn.scalar(text("SELECT current_database()")))
    print("tables:", conn.scalar(text("SELECT count(*) FROM pg_tables WHERE tablename = 'mine'")))
    conn.execute(text("CREATE TABLE mine (id int)"))
    conn.commit()
"""


def _run_databases(url: str) -> list[str]:
    with psycopg.connect(engines._libpq(url), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'sqlaquiz_run_%'"
        ).fetchall()
    return [name for (name,) in rows]


def _wait_until_gone(url: str, name: str) -> bool:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if name not in _run_databases(url):
            return True
        time.sleep(0.05)
    return False


def test_a_sqlite_run_never_sees_the_users_own_database_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SQLAQUIZ_DATABASE_URL", "postgresql+psycopg://prod@db.example/prod")
    with Runner() as fresh:  # a new worker: it inherits the environment set above
        result = fresh.run("import os\nprint(os.environ.get('SQLAQUIZ_DATABASE_URL'))\n")
    assert result.cells[0].stdout == "None\n"


def test_add_all_is_one_insert_per_row_on_sqlite_and_one_batch_on_postgresql(
    runner: Runner, pg_runner: Runner
) -> None:
    on_sqlite = runner.run(BATCHED)
    on_postgres = pg_runner.run(BATCHED)
    assert on_sqlite.cell("add_all").queries == 5  # type: ignore[union-attr]
    assert on_postgres.cell("add_all").queries == 1  # type: ignore[union-attr]
    assert on_postgres.database == "postgresql"
    assert {s.dialect for c in on_postgres.cells for s in c.statements} == {"postgresql"}
    assert "dialect: postgresql" in on_postgres.cells[-1].stdout


def test_each_run_gets_its_own_database_which_is_dropped_after(
    pg_runner: Runner, postgres_url: str
) -> None:
    first = pg_runner.run(WHERE_AM_I)
    second = pg_runner.run(WHERE_AM_I)
    assert first.ok and second.ok, (first.problem(), second.problem())
    name_1 = first.cells[0].stdout.split("db: ")[1].split("\n")[0]
    name_2 = second.cells[0].stdout.split("db: ")[1].split("\n")[0]
    assert name_1 != name_2
    assert name_1.startswith("sqlaquiz_run_")
    assert "tables: 0" in second.cells[0].stdout  # the first run's table is not there
    assert _wait_until_gone(postgres_url, name_1)
    assert _wait_until_gone(postgres_url, name_2)


def test_a_run_that_times_out_holding_a_connection_leaves_no_database(postgres_url: str) -> None:
    hang = WHERE_AM_I.replace("    conn.commit()\n", "    conn.commit()\n    while True: pass\n")
    database = engines.PostgreSQL(postgres_url)
    try:
        with Runner(timeout=1.5, database=database) as r:
            result = r.run(hang)
        assert result.timed_out
        name = result.cells[0].stdout.split("db: ")[1].split("\n")[0] if result.cells else None
    finally:
        database.close()
    names = _run_databases(postgres_url)
    assert not [n for n in names if n.startswith(database._prefix)]
    if name:
        assert name not in names


def test_databases_left_by_a_killed_sqlaquiz_are_swept(postgres_url: str) -> None:
    stale = f"{engines.RUN_PREFIX}{engines._host_tag()}_999999999_1"
    with psycopg.connect(engines._libpq(postgres_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{stale}"')
    engines.PostgreSQL(postgres_url).close()
    assert stale not in _run_databases(postgres_url)


def test_run_both_shows_the_two_databases_side_by_side(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    monkeypatch.setenv("SQLAQUIZ_POSTGRES_URL", postgres_url)
    script = tmp_path / "batched.py"
    script.write_text(BATCHED, encoding="utf-8")
    result = cli.invoke(app, ["run", "--file", str(script), "--db", "both", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    counts = {
        name: {c["title"]: c["queries"] for c in run["cells"]}
        for name, run in data["databases"].items()
    }
    assert counts["sqlite"]["add_all"] == 5
    assert counts["postgresql"]["add_all"] == 1
    table = cli.invoke(app, ["run", "--file", str(script), "--db", "both"])
    assert table.exit_code == 0
    row = next(line for line in table.stdout.splitlines() if line.startswith("│ add_all"))
    assert "5 queries" in row and "1 query" in row and "≠ differs" in row


def test_no_server_is_one_line_and_exit_7(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SQLAQUIZ_POSTGRES_URL", "postgresql://nobody@127.0.0.1:1/none")
    script = tmp_path / "batched.py"
    script.write_text(BATCHED, encoding="utf-8")
    result = cli.invoke(app, ["run", "--file", str(script), "--db", "postgresql"])
    assert result.exit_code == 7
    assert result.stderr.startswith(
        "error: cannot connect to PostgreSQL at postgresql://nobody@127.0.0.1:1/none: "
    )
    assert result.stderr.count("\n") == 1


def test_a_password_in_the_server_url_is_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SQLAQUIZ_POSTGRES_URL", "postgresql://me:s3cret@127.0.0.1:1/none")
    result = cli.invoke(app, ["run", "rel-lazy-loop-n-plus-one", "--db", "postgresql"])
    assert "s3cret" not in result.output
    assert "me:***@" in result.stderr or "does not run on" in result.stderr


def test_an_unknown_database_name_is_a_usage_error() -> None:
    result = cli.invoke(app, ["run", "rel-lazy-loop-n-plus-one", "--db", "oracle"])
    assert result.exit_code == 2
    assert result.stderr == "error: --db 'oracle': use sqlite, postgresql or both\n"


def test_the_learners_default_database_comes_from_sqlaquiz_db(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SQLAQUIZ_DB", "mysql")
    result = cli.invoke(app, ["validate", "--run", "--card", "rel-lazy-loop-n-plus-one"])
    assert result.exit_code == 2
    assert result.stderr == "error: SQLAQUIZ_DB='mysql': use one of sqlite, postgresql\n"


@pytest.mark.slow
def test_a_throwaway_local_server_starts_runs_and_leaves_nothing() -> None:
    if pg_local.find_binaries() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but no PostgreSQL binaries for the throwaway server")
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl) on this machine")
    database = engines.PostgreSQL.open()
    folder = database.local.folder
    try:
        with Runner(database=database) as r:
            result = r.run(BATCHED)
        assert result.cell("add_all").queries == 1  # type: ignore[union-attr]
    finally:
        database.close()
    assert not folder.exists()


PG_DECK = """\
topic:
  slug: pgonly
  name: PostgreSQL only
cards:
  - id: pg-batched
    difficulty: medium
    tags: [insert]
    databases: [postgresql]
    question: |
      How many statements does add_all of five rows send on PostgreSQL?
    answer: |
      One batched INSERT.

      **Rule of thumb:** PostgreSQL batches the unit of work's INSERTs.
    example: |
{example}
    expect:
      cells: {{add_all: 1}}
    challenge:
      ask: queries
      cell: add_all
      prompt: How many statements does the "add_all" cell send?
      answer: 1
"""


def _pg_deck(tmp_path: Path) -> Path:
    example = "\n".join("      " + line if line else "" for line in BATCHED.splitlines())
    deck = tmp_path / "pg.yaml"
    deck.write_text(PG_DECK.format(example=example), encoding="utf-8")
    assert cli.invoke(app, ["trust", str(deck)]).exit_code == 0  # a user deck runs once trusted
    return deck


def test_a_sqlite_session_runs_a_postgresql_only_card_on_postgresql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    monkeypatch.setenv("SQLAQUIZ_POSTGRES_URL", postgres_url)
    deck = _pg_deck(tmp_path)
    result = cli.invoke(
        app, ["start", "--deck", str(deck), "--topic", "pgonly", "--cram"], input="1\n3\nq\n"
    )
    assert result.exit_code == 0, result.output
    assert "✓ Right. You predicted 1; the 'add_all' cell sent 1 query." in result.stdout


def test_without_a_server_a_postgresql_only_card_is_asked_unrun(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SQLAQUIZ_POSTGRES_URL", "postgresql://nobody@127.0.0.1:1/none")
    deck = _pg_deck(tmp_path)
    result = cli.invoke(
        app, ["start", "--deck", str(deck), "--topic", "pgonly", "--cram"], input="\n3\nq\n"
    )
    assert result.exit_code == 0, result.output
    assert "cannot connect to PostgreSQL at postgresql://nobody@127.0.0.1:1/none" in result.stdout
    assert "Predict" not in result.stdout  # asked as a question to answer, not a prediction
    assert "One batched INSERT." in result.stdout
