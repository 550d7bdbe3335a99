"""`sqlaquiz practice`: piped input, the kept workspace file, --reset; and in a real terminal,
single keypresses, a save in another program, Ctrl-C."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pexpect
import pytest

from quiz.deck.loader import load_library
from tests.test_terminal import sqlaquiz_command

CARD = load_library().get("ex-report-n-plus-one")
assert CARD.exercise is not None and CARD.example is not None
STARTER, SOLUTION = CARD.exercise.starter, CARD.example


def practice(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SQLAQUIZ_HOME": str(home), "COLUMNS": "80", "NO_COLOR": "1"}
    return subprocess.run(
        [*sqlaquiz_command(), "practice", CARD.id, *args],
        input=stdin, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.slow
def test_piped_keys_then_the_end_of_input(isolated_home: Path) -> None:
    done = practice(isolated_home, stdin="h\nh\n")
    assert done.returncode == 1, done.stderr
    out = done.stdout
    path = isolated_home / "exercises" / f"{CARD.id}.py"
    assert path.read_text(encoding="utf-8") == STARTER
    assert "run 1: 2 of 4 checks pass" in out
    assert "Hint 1 of 3" in out and "Hint 2 of 3" in out and "Hint 3 of 3" not in out
    assert "h hint (3 left)" in out
    assert "Your code is kept in" in out
    assert "\x1b[" not in out  # NO_COLOR and a pipe: plain text
    assert done.stderr == ""


@pytest.mark.slow
def test_the_learners_file_is_kept_and_reset_keeps_a_copy(isolated_home: Path) -> None:
    practice(isolated_home)
    path = isolated_home / "exercises" / f"{CARD.id}.py"
    path.write_text(SOLUTION, encoding="utf-8")
    again = practice(isolated_home)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "run 1: 4 of 4 checks pass" in again.stdout
    assert "✓ Every check passes (1 attempt, no hints)." in again.stdout
    assert f"Compare with the reference: sqlaquiz show {CARD.id} --answer\n" in again.stdout
    assert path.read_text(encoding="utf-8") == SOLUTION
    reset = practice(isolated_home, "--reset")
    assert reset.returncode == 1
    assert path.read_text(encoding="utf-8") == STARTER
    assert path.with_name(path.name + ".bak").read_text(encoding="utf-8") == SOLUTION


@pytest.mark.slow
def test_a_postgresql_only_exercise_runs_on_postgresql(
    isolated_home: Path, postgres_url: str
) -> None:
    env = {**os.environ, "SQLAQUIZ_HOME": str(isolated_home), "COLUMNS": "80",
           "SQLAQUIZ_POSTGRES_URL": postgres_url}  # fmt: skip
    done = subprocess.run(
        [*sqlaquiz_command(), "practice", "ex-job-queue-skip-locked"],
        input="", env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    out = " ".join(done.stdout.split())
    assert "every save runs it on PostgreSQL" in out
    assert "✗ worker 2 gets the next job — not in the output" in out
    assert "worker 2 took job 1" in out


def test_a_card_that_is_not_an_exercise(isolated_home: Path) -> None:
    env = {**os.environ, "SQLAQUIZ_HOME": str(isolated_home)}
    done = subprocess.run(
        [*sqlaquiz_command(), "practice", "rel-lazy-loop-n-plus-one"],
        env=env, capture_output=True, text=True, timeout=60, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: card 'rel-lazy-loop-n-plus-one' is not an exercise "
        "(`sqlaquiz list --tag exercise` lists them)"
    )
    assert not (isolated_home / "exercises").exists()


def spawn(args: list[str], home: Path) -> pexpect.spawn:
    """sqlaquiz in a pseudo-terminal of 80x24, the smallest the screens are made for; the clock
    frozen (exact intervals, no fuzz)."""
    cmd = sqlaquiz_command()
    env = {**os.environ, "SQLAQUIZ_HOME": str(home), "TERM": "xterm", "COLUMNS": "80",
           "LINES": "24", "SQLAQUIZ_NOW": "2026-03-02T09:00:00+00:00"}  # fmt: skip
    child = pexpect.spawn(
        cmd[0], cmd[1:] + args, env=env, encoding="utf-8", timeout=30, dimensions=(24, 80)
    )
    child.logfile_read = sys.stdout
    return child


CLEAR = "\x1b[2J\x1b[H"


@pytest.mark.slow
def test_in_a_terminal_a_save_reruns_and_keys_need_no_enter(isolated_home: Path) -> None:
    child = spawn(["practice", CARD.id], isolated_home)
    path = isolated_home / "exercises" / f"{CARD.id}.py"
    child.expect_exact(CLEAR)
    child.expect(r"h hint \(3 left\)")
    screen = child.before + child.after
    assert "run 1: 2 of 4 checks pass" in screen
    assert screen.count("\n") < 24  # the whole screen fits: the task stays in view
    child.send("h")  # a keypress, no Enter
    child.expect("Hint 1 of 3")
    time.sleep(0.05)
    path.write_text(STARTER.replace("# TODO", "# still thinking"), encoding="utf-8")
    child.expect("Hint 1 of 3")  # the screen is redrawn with the hints shown so far
    child.expect("run 2: 2 of 4 checks pass")
    child.expect(r"h hint \(2 left\)")
    path.write_text(SOLUTION, encoding="utf-8")
    child.expect("run 3: 4 of 4 checks pass")
    child.expect(r"Every check passes \(2 attempts, 1 hint\)")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


@pytest.mark.slow
def test_ctrl_c_keeps_the_file_and_the_terminal(isolated_home: Path) -> None:
    child = spawn(["practice", CARD.id], isolated_home)
    child.expect(r"h hint \(3 left\)")
    child.sendcontrol("c")
    child.expect("interrupted — your code is kept in")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    path = isolated_home / "exercises" / f"{CARD.id}.py"
    assert path.read_text(encoding="utf-8") == STARTER


@pytest.mark.slow
def test_an_exercise_in_a_terminal_session(isolated_home: Path) -> None:
    deck = str(Path(__file__).parent / "data" / "exercise.yaml")
    env = {**os.environ, "SQLAQUIZ_HOME": str(isolated_home)}
    subprocess.run([*sqlaquiz_command(), "trust", deck], env=env, capture_output=True, check=True)
    child = spawn(["start", "--deck", deck, "--topic", "drills"], isolated_home)
    child.expect_exact(CLEAR)
    child.expect(r"h hint \(2 left\)")
    path = isolated_home / "exercises" / "d-fewer-queries.py"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "sum(conn.execute(text(f\"select {n}\")).scalar() for n in (1, 2, 3))",
        "conn.execute(text(\"select 1 + 2 + 3\")).scalar()",
    ), encoding="utf-8")  # fmt: skip
    child.expect("run 2: 3 of 3 checks pass")
    child.expect(r"suggested grade \[4\] Easy")
    child.expect(r"\[4\] Easy 8d")
    child.send("4")
    child.expect("session summary")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
