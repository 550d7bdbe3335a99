"""The Landlock sandbox (Linux 5.13+): an example writes only in its run folder, reads no home,
connects only to its database's port, and signals nothing outside its run."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from quiz.sandbox import landlock
from quiz.sandbox.client import Runner

pytestmark = pytest.mark.skipif(
    landlock.abi_version() < 1 and os.environ.get("CI") != "true",
    reason="this kernel has no Landlock",
)


def _attempt(runner: Runner, action: str) -> str:
    code = (
        f"try:\n    {action}\n    print('allowed')\n"
        "except OSError as exc:\n    print(type(exc).__name__)\n"
    )
    result = runner.run(code)
    assert result.sandbox is not None and result.sandbox.startswith("landlock"), result
    return result.cells[0].stdout.strip()


def test_the_progress_database_cannot_be_touched(runner: Runner, isolated_home: Path) -> None:
    isolated_home.mkdir(parents=True, exist_ok=True)
    progress = isolated_home / "progress.sqlite3"
    progress.write_bytes(b"SQLite format 3\0" + b"\0" * 84)
    before = progress.read_bytes()
    assert _attempt(runner, f"open({str(progress)!r}, 'r+b').write(b'\\0' * 100)") == (
        "PermissionError"
    )
    assert _attempt(runner, f"open({str(progress)!r}, 'rb').read()") == "PermissionError"
    assert _attempt(
        runner, f"os.remove({str(progress)!r})".replace("os.", "__import__('os').")
    ) == ("PermissionError")
    assert progress.read_bytes() == before


def test_the_users_home_is_not_readable(runner: Runner) -> None:
    home = os.path.expanduser("~")
    assert _attempt(runner, f"__import__('os').listdir({home!r})") == "PermissionError"


def test_writing_outside_the_run_folder_is_refused_inside_it_allowed(
    runner: Runner, tmp_path: Path
) -> None:
    assert _attempt(runner, f"open({str(tmp_path / 'x')!r}, 'w').write('x')") == "PermissionError"
    assert not (tmp_path / "x").exists()
    assert _attempt(runner, "open('here.txt', 'w').write('x')") == "allowed"
    assert _attempt(runner, "__import__('tempfile').mkdtemp()") == "allowed"


def test_python_and_its_packages_still_import(runner: Runner) -> None:
    result = runner.run(
        "import json, decimal, sqlite3, email.mime.text, fastapi, pydantic\nprint('ok')"
    )
    assert result.ok, result.problem()
    assert result.cells[0].stdout == "ok\n"


@pytest.mark.skipif(landlock.abi_version() < 4, reason="network rules need Landlock ABI 4")
def test_no_network_for_a_sqlite_run(runner: Runner) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    try:
        action = f"__import__('socket').create_connection(('127.0.0.1', {port}), timeout=2)"
        assert _attempt(runner, action) == "PermissionError"
    finally:
        listener.close()


@pytest.mark.skipif(landlock.abi_version() < 6, reason="signal scoping needs Landlock ABI 6")
def test_an_example_cannot_kill_the_worker(runner: Runner) -> None:
    action = "__import__('os').kill(__import__('os').getppid(), 9)"
    assert _attempt(runner, action) == "PermissionError"
    assert runner.run("print('still here')").cells[0].stdout == "still here\n"


def test_a_postgresql_run_may_reach_its_own_server_only(pg_runner: Runner) -> None:
    code = (
        "import os, socket\n"
        "from sqlalchemy import create_engine, text\n"
        "engine = create_engine(os.environ['SQLAQUIZ_DATABASE_URL'])\n"
        "with engine.connect() as conn:\n"
        "    print(conn.scalar(text('select 1')))\n"
        "try:\n"
        "    socket.create_connection(('127.0.0.1', 9), timeout=1)\n"
        "except OSError as exc:\n"
        "    print(type(exc).__name__)\n"
    )
    result = pg_runner.run(code)
    assert result.ok, result.problem()
    expected = "PermissionError" if landlock.abi_version() >= 4 else "ConnectionRefusedError"
    assert result.cells[0].stdout == f"1\n{expected}\n"


def test_sandbox_off_is_said_in_the_result() -> None:
    with Runner(sandbox=False) as r:
        assert r.run("print(1)").sandbox == "off"


def test_the_database_port_is_read_from_the_runs_urls() -> None:
    env = {
        "SQLAQUIZ_DATABASE_URL": "postgresql+psycopg://u@db.internal:6543/x",
        "SQLAQUIZ_ASYNC_DATABASE_URL": "postgresql+asyncpg://u@db.internal/x",
    }
    assert landlock.database_ports(env) == {6543, 5432}
    assert (
        landlock.database_ports({"SQLAQUIZ_DATABASE_URL": "postgresql://u@/x?host=/tmp/s"}) == set()
    )
