"""`sqlaquiz interview` in a real pseudo-terminal of 80 x 24, without colour: keypresses,
the scorecard, and Ctrl-C keeping the interview so far."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from tests.test_terminal import sqlaquiz_command

DECKS = str(Path(__file__).parent / "data" / "interview")
NOW = "2026-03-02T09:00:00+00:00"
COLOUR = re.compile(r"\x1b\[[0-9;]*(3[0-9]|4[0-9]|9[0-7])[0-9;]*m")  # a foreground/background


def loose(text: str) -> str:
    """A pattern for `text` as the terminal shows it: styles (bold) may sit between any two
    characters."""
    return "(?:\x1b\\[[0-9;]*m)*".join(re.escape(c) for c in text)


def spawn(args: list[str], home: Path) -> pexpect.spawn:
    cmd = sqlaquiz_command()
    env = {
        **os.environ,
        "SQLAQUIZ_HOME": str(home),
        "SQLAQUIZ_NOW": NOW,
        "TERM": "xterm-256color",
        "NO_COLOR": "1",
        "COLUMNS": "80",
        "LINES": "24",
    }
    env.pop("FORCE_COLOR", None)
    child = pexpect.spawn(
        cmd[0], cmd[1:] + args, env=env, encoding="utf-8", timeout=60, dimensions=(24, 80)
    )
    child.logfile_read = Transcript()
    return child


class Transcript(io.StringIO):
    """Everything the terminal showed, kept for the test and echoed for pytest's report."""

    def write(self, text: str) -> int:
        sys.stdout.write(text)
        return super().write(text)


def trust(home: Path) -> None:
    env = {**os.environ, "SQLAQUIZ_HOME": str(home)}
    done = subprocess.run([*sqlaquiz_command(), "trust", DECKS], env=env, capture_output=True)
    assert done.returncode == 0, done.stderr


def kept_interviews(home: Path) -> list[dict]:  # type: ignore[type-arg]
    env = {**os.environ, "SQLAQUIZ_HOME": str(home)}
    out = subprocess.run(
        [*sqlaquiz_command(), "export", "-"], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout).get("interviews", [])  # type: ignore[no-any-return]


ARGS = ["interview", "--deck", DECKS, "--topic", "kp-loading", "--minutes", "5"]


@pytest.mark.slow
def test_an_interview_in_80_columns_without_colour(isolated_home: Path) -> None:
    trust(isolated_home)
    child = spawn(ARGS, isolated_home)
    child.expect(loose("Question 1/2 · open question · about 3 min · ⏱ 5:00 left"))
    child.expect("Your answer")
    child.sendline("the N+1 problem; selectinload fixes it")
    child.expect("Does it raise\\? y/n")
    child.send("y")  # a keypress, no Enter
    child.expect("scorecard")
    child.expect(loose("key points   2/2 (100%)"))
    child.expect(loose("predictions  1/1 (100%)"))
    child.expect(loose("2. l-raise  0:00  ✓ said y; it raised"))
    child.expect("Yes, ZeroDivisionError")  # the model answers
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    seen = child.logfile_read.getvalue()
    assert "Why is a lazy relationship" in seen and not COLOUR.search(seen)
    assert kept_interviews(isolated_home)[0]["predictions_right"] == 1


@pytest.mark.slow
def test_ctrl_c_keeps_the_interview_so_far(isolated_home: Path) -> None:
    trust(isolated_home)
    child = spawn(ARGS, isolated_home)
    child.expect("Your answer")
    child.sendline("one query per row")
    child.expect("Does it raise\\? y/n")
    child.sendintr()
    child.expect("scorecard")
    child.expect(loose("questions    1 of 2 (interrupted)"))
    child.expect("interrupted — the interview so far is kept \\(1 answered; predictions not")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    (kept,) = kept_interviews(isolated_home)
    assert (kept["questions"], kept["key_points_covered"], kept["key_points_total"]) == (1, 1, 2)


@pytest.mark.slow
def test_the_exercise_in_a_real_terminal(isolated_home: Path) -> None:
    exercise = str(Path(__file__).parent / "data" / "interview-exercise")
    env = {**os.environ, "SQLAQUIZ_HOME": str(isolated_home)}
    done = subprocess.run([*sqlaquiz_command(), "trust", exercise], env=env, capture_output=True)
    assert done.returncode == 0, done.stderr
    trust(isolated_home)
    args = ["interview", "--deck", DECKS, "--deck", exercise, "--topic", "kp-loading"]
    child = spawn([*args, "--minutes", "12"], isolated_home)  # a prediction, then the exercise
    child.expect("Does it raise\\? y/n")
    child.send("n")
    child.expect(loose("Question 2/2 · exercise"))
    child.expect("Make the script print")
    child.expect(loose("run 1: 1 of 2 checks pass"))  # the starter fails its check
    path = isolated_home / "exercises" / "l-fix-output.interview.py"
    assert path.read_text() == 'print("queries: 3")\n'
    path.write_text('print("queries: 2")\n')
    child.expect("scorecard")
    child.expect(loose("exercise     1/1 (100%)"))
    child.expect(loose("2. l-fix-output  0:00  ✓ passed (1 attempt, 0 hints)"))
    child.expect("Bring the cards of KP Loading forward")
    child.sendline("n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    (kept,) = kept_interviews(isolated_home)
    assert (kept["exercises_passed"], kept["predictions_right"]) == (1, 0)
