"""The Landlock sandbox (Linux 5.13+): an example writes only in its run folder, reads no home,
connects only to its database's port, and signals nothing outside its run."""

from __future__ import annotations

import os
import re
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


def _in_namespaces(runner: Runner) -> bool:
    sandbox = runner.run("pass").sandbox
    return sandbox is not None and "namespaces: pid" in sandbox


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
def test_an_example_cannot_kill_the_worker() -> None:
    with Runner() as runner:  # its own: one worker, whose pid the example is given
        runner.run("pass")
        (worker,) = runner._all
        action = f"__import__('os').kill({worker.proc.pid}, 9)"
        # in the run's own PID namespace the worker does not even exist; without one, Landlock
        # refuses the signal
        refused = "ProcessLookupError" if _in_namespaces(runner) else "PermissionError"
        assert _attempt(runner, action) == refused
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


# --------------------------------------------------------------------------- namespaces

needs_namespaces = pytest.mark.skipif(
    not os.path.exists("/proc/self/ns/user") and os.environ.get("CI") != "true",
    reason="no user namespaces here",
)


def test_other_processes_environment_is_not_readable(runner: Runner) -> None:
    # the parent's environment (the user's shell, sqlaquiz with its database URL) stays closed;
    # the example's own process and what describes the machine stay open
    assert _attempt(runner, f"open('/proc/{os.getpid()}/environ', 'rb').read()") == (
        "PermissionError"
    )
    assert _attempt(runner, "__import__('os').listdir('/proc')") == "PermissionError"
    assert _attempt(runner, "open('/proc/self/status').read()") == "allowed"
    assert _attempt(runner, "open('/proc/cpuinfo').read()") == "allowed"


@needs_namespaces
def test_a_process_that_keeps_re_forking_ends_with_its_run(runner: Runner) -> None:
    token = f"sqlaquiz-test-reforker-{os.getpid()}"
    loop = (
        "import os, time\\nwhile True:\\n    if os.fork():\\n        os._exit(0)\\n"
        "    time.sleep(0.002)\\n"
    )
    code = (
        "import subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, '-c', '{loop}', '{token}'], env={{}},\n"
        "                 start_new_session=True)\n"
        "time.sleep(0.3)\n"
    )
    result = runner.run(code)
    assert result.ok, result.problem()
    assert result.sandbox is not None and "namespaces: pid" in result.sandbox

    def survivors() -> list[str]:
        found = []
        for entry in os.listdir("/proc"):
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if token.encode() in f.read():
                        found.append(entry)
            except OSError:
                continue
        return found

    import time

    deadline = time.monotonic() + 3
    while survivors() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert survivors() == []


@needs_namespaces
def test_the_memory_cap_holds_for_the_run_as_a_whole() -> None:
    code = (
        "# %% setup\nx = 1\n"
        "# %% hog\nimport os, time\n"
        "for _ in range(3):\n"
        "    if os.fork() == 0:\n"
        "        block = bytearray(200 * 2**20)\n"
        "        for i in range(0, len(block), 4096):\n"
        "            block[i] = 1\n"
        "        time.sleep(30)\n"
        "time.sleep(30)\n"
    )
    with Runner(timeout=20, memory_mb=400) as r:
        result = r.run(code)
        assert not result.timed_out
        assert result.crash is not None
        assert re.match(r"the run's [34] processes held [\d,]+ MiB", result.crash), result.crash
        assert result.crash.endswith(
            " between them, over the run's memory cap of 400 MiB, and were stopped in cell 'hog'"
        )
        assert result.cells[-1].title == "hog" and result.cells[-1].error is not None
        assert result.cells[-1].error.type == "MemoryCap"
        assert r.run("print('next')").cells[0].stdout == "next\n"
