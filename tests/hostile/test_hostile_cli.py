"""Hostile command lines: every odd value is one line with a documented exit code, signals end
a command as Ctrl-C does, and a killed sqlaquiz leaves nothing behind for long."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from quiz.sandbox import leftovers
from tests.hostile.conftest import CARD, deck_text, invoke, one_line, snapshot

SCRIPT = "print('hi')\n"


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("inf", "Invalid value for '--timeout'"),
        ("nan", "Invalid value for '--timeout'"),
        ("-1", "greater than or equal to 0.1"),
        ("0", "greater than or equal to 0.1"),
        ("1e9", "less than or equal to 3600"),
        ("soon", "Invalid value for '--timeout'"),
    ],
)
@pytest.mark.parametrize("command", [["run", "--file", "x.py"], ["start"], ["validate", "--run"]])
def test_a_timeout_that_is_no_number_of_seconds(
    command: list[str], value: str, says: str, home: Path
) -> None:
    one_line(invoke(*command, "--timeout", value), 2, says)


@pytest.mark.parametrize("value", ["nan", "inf", "0.5", "1"])
def test_a_retention_out_of_range(value: str) -> None:
    one_line(invoke("start", "--retention", value), 2, "Invalid value for '--retention'")


@pytest.mark.parametrize(
    ("now", "says"),
    [
        ("0001-01-01T00:00:00", "is out of range: use a time from 1970 to 2999"),
        ("9999-12-31T23:59:59+00:00", "is out of range"),
        ("9999-12-31T23:00:00-05:00", "is out of range"),
        ("yesterday", "is not an ISO 8601 date-time"),
    ],
)
@pytest.mark.parametrize("command", [["list"], ["stats", "--json"], ["start"], ["topics"]])
def test_sqlaquiz_now_out_of_range(command: list[str], now: str, says: str, home: Path) -> None:
    before = snapshot(home)
    one_line(invoke(*command, env={"SQLAQUIZ_NOW": now}), 2, "SQLAQUIZ_NOW=", says)
    assert snapshot(home) == before


def _export_target(tmp_path: Path, kind: str) -> tuple[Path, Path]:
    """(where to export, a file that must stay as it is)."""
    target = tmp_path / "elsewhere.txt"
    target.write_text("precious")
    link = tmp_path / "progress.json"
    if kind == "symlink":
        link.symlink_to(target)
    elif kind == "dangling symlink":
        link.symlink_to(tmp_path / "nowhere" / "x.json")
    elif kind == "folder":
        link.mkdir()
    elif kind == "fifo":
        os.mkfifo(link)
    elif kind == "name too long":
        link = tmp_path / ("x" * 300)
    return link, target


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("symlink", "is a symbolic link; sqlaquiz does not replace links"),
        ("dangling symlink", "is a symbolic link; sqlaquiz does not replace links"),
        ("folder", "exists and is not a regular file"),
        ("fifo", "exists and is not a regular file"),
        ("name too long", "cannot write"),
    ],
)
@pytest.mark.parametrize("force", [False, True])
def test_export_never_replaces_what_is_not_a_regular_file(
    kind: str, says: str, force: bool, tmp_path: Path, home: Path
) -> None:
    path, target = _export_target(tmp_path, kind)
    before = os.lstat(path) if os.path.lexists(path) else None
    one_line(invoke("export", str(path), *(["--force"] if force else [])), 6, says)
    after = os.lstat(path) if os.path.lexists(path) else None
    assert (before and (before.st_ino, before.st_mode)) == (after and (after.st_ino, after.st_mode))
    assert target.read_text() == "precious"


def _fifo(tmp: Path) -> Path:
    os.mkfifo(tmp / "script.py")
    return tmp / "script.py"


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (_fifo, "cannot read: not a regular file"),
        (lambda tmp: Path("/dev/zero"), "cannot read: not a regular file"),
        (lambda tmp: tmp, "cannot read: is a folder, not a file"),
        (lambda tmp: tmp / ("s" * 300 + ".py"), "cannot read: [Errno 36] File name too long"),
    ],
    ids=["fifo", "dev-zero", "folder", "name-too-long"],
)
def test_run_file_refuses_what_is_no_script_without_reading_it(make, says, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    one_line(invoke("run", "--file", str(make(tmp_path))), 2, says)


@pytest.mark.parametrize("what", ["fifo", "/dev/zero"])
def test_the_real_command_refuses_them_too(what: str, tmp_path: Path) -> None:
    """`sqlaquiz run --file` from a shell reads the script before the CLI loads
    (quiz/commands/early.py): the same refusal there, no hang, no endless read."""
    path = _fifo(tmp_path) if what == "fifo" else Path(what)
    done = subprocess.run(
        [sys.executable, "-m", "quiz", "run", "--file", str(path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"error: {path}: cannot read: not a regular file (a FIFO, a device or a socket), so it "
        "is not read\n"
    )


@pytest.mark.parametrize("command", [["import", ""], ["export", ""], ["run", "--file", ""]])
def test_an_empty_file_name(command: list[str]) -> None:
    one_line(invoke(*command), 2, "an empty path is not a path")


def test_a_file_name_with_escapes_is_shown_as_text(tmp_path: Path) -> None:
    path = tmp_path / "x\x1b]0;pwned\x07.json"
    line = one_line(invoke("import", str(path)), 6, "no such file")
    assert "x\\x1b]0;pwned\\x07.json" in line


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_ends_any_command_as_ctrl_c_does(
    signum: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quiz.commands import views

    def signalled(**kwargs: object) -> None:
        os.kill(os.getpid(), signum)
        time.sleep(5)  # the handler raises before this ends

    monkeypatch.setattr(views, "list_cards", signalled)
    result = invoke("list")
    assert result.exit_code == 128 + signum
    assert result.stderr == f"\nterminated by {signal.Signals(signum).name}\n"
    assert signal.getsignal(signum) in (signal.SIG_DFL, signal.default_int_handler)  # restored


def _worker_folders(tmp: Path) -> list[str]:
    return sorted(p.name for p in tmp.glob("sqlaquiz-worker-*"))


def test_sigterm_ends_a_real_session_saying_what_is_saved_and_leaves_no_folder(
    tmp_path: Path, home: Path
) -> None:
    deck = tmp_path / "deck.yaml"
    deck.write_text(deck_text(*(CARD.format(id=f"card-{i}", question="Q?") for i in (1, 2))))
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "SQLAQUIZ_NOW": "2026-03-02T09:00:00+00:00"}
    command = [sys.executable, "-m", "quiz", "start", "--deck", str(deck), "--topic", "hostile"]
    proc = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=env, text=True,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("\n3\n")  # card-1 graded Good; the session then waits at card-2
    proc.stdin.flush()
    deadline = time.monotonic() + 60
    while "saved — next review" not in proc.stdout.readline():
        assert time.monotonic() < deadline and proc.poll() is None
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143
    assert err == "\nterminated by SIGTERM — every graded card is saved\n"
    assert _worker_folders(temp) == []
    listed = invoke("list", "--json", "--deck", str(deck), "--topic", "hostile")
    assert [row["state"] for row in json.loads(listed.stdout)] == ["learning", "new"]


def test_folders_a_killed_sqlaquiz_left_go_at_the_next_start(tmp_path: Path) -> None:
    tmp_path = tmp_path / "temp"  # a temporary directory of its own
    tmp_path.mkdir()
    old = time.time() - 3600
    stale = tmp_path / "sqlaquiz-worker-stale"
    (stale / "tmp" / "sqlaquiz-run-x").mkdir(parents=True)
    live = tmp_path / "sqlaquiz-worker-live"
    (live / "tmp").mkdir(parents=True)
    young = tmp_path / "sqlaquiz-worker-young"
    young.mkdir()
    edit = tmp_path / "sqlaquiz-edit-old"
    edit.mkdir()
    other = tmp_path / "not-ours"
    other.mkdir()
    for folder in (stale, live, other):
        os.utime(folder, (old, old))
    os.utime(edit, (old - 2 * leftovers.DAY, old - 2 * leftovers.DAY))
    # a process whose environment points at `live`, as a running worker's does
    holder = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"],
        env={**os.environ, "TMPDIR": str(live / "tmp")},
    )
    try:
        time.sleep(0.2)
        assert leftovers.sweep(str(tmp_path)) == 2
    finally:
        holder.kill()
        holder.wait()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "not-ours", "sqlaquiz-worker-live", "sqlaquiz-worker-young",
    ]  # fmt: skip
    assert leftovers.sweep(str(tmp_path)) == 1  # its process is gone now: so is the folder
