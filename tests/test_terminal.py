"""A real pseudo-terminal: single keypresses, three cards, quit, and the schedule persists."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

DECK = str(Path(__file__).parent / "data" / "practice.yaml")


def sqlaquiz_command() -> list[str]:
    """The installed console script when there is one (CI installs the package)."""
    script = Path(sys.executable).parent / "sqlaquiz"
    if script.exists():
        return [str(script)]
    found = shutil.which("sqlaquiz")
    return [found] if found else [sys.executable, "-m", "quiz"]


def spawn(args: list[str], home: Path, now: str) -> pexpect.spawn:
    cmd = sqlaquiz_command()
    env = {
        **os.environ,
        "SQLAQUIZ_HOME": str(home),
        "SQLAQUIZ_NOW": now,
        "TERM": "xterm",
        "COLUMNS": "110",
        "LINES": "40",
    }
    child = pexpect.spawn(
        cmd[0], cmd[1:] + args, env=env, encoding="utf-8", timeout=30, dimensions=(40, 110)
    )
    child.logfile_read = sys.stdout  # shown by pytest when the test fails
    return child


@pytest.mark.slow
def test_three_cards_by_keypress_then_quit_and_resume(isolated_home: Path) -> None:
    trusted = subprocess.run([*sqlaquiz_command(), "trust", DECK], capture_output=True, check=False)
    assert trusted.returncode == 0, trusted.stderr  # a user deck runs once trusted
    args = ["start", "--deck", DECK, "--topic", "practice"]
    child = spawn(args, isolated_home, "2026-03-02T09:00:00+00:00")
    # card 1: type an answer, Enter; then a single keypress grades it Good
    child.expect("Your answer")
    child.sendline("the identity map")
    child.expect(r"\[3\] Good 10m")
    child.send("3")  # no Enter: a keypress
    # card 2: a prediction (a line), then run key r, then Easy
    child.expect("How many queries")
    child.sendline("2")
    child.expect("Right. You predicted 2")
    child.expect(r"\[4\] Easy 8d")
    child.send("r")
    child.expect("2 queries in 2 cells")
    child.expect(r"\[4\] Easy")
    child.send("4")
    # card 3: predict it raises with a keypress, grade Hard
    child.expect("Does it raise")
    child.send("y")
    child.expect(r"\[2\] Hard")
    child.send("2")
    # the clock is frozen, so no learning step comes due by itself: the session offers to wait
    # for the first one (p-raise, Hard: 5m30s), and q ends it
    child.expect(r"p-raise comes back in 6m \(and 1 other card after it\)\. Enter waits")
    child.send("q")
    child.expect("session summary")
    child.expect("reviewed +3")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    listing = subprocess.run(
        [*sqlaquiz_command(), "list", "--json", "--deck", DECK, "--topic", "practice"],
        env={**os.environ, "SQLAQUIZ_HOME": str(isolated_home)},
        capture_output=True,
        text=True,
        check=True,
    )
    due = {r["id"]: r["due"] for r in json.loads(listing.stdout)}
    assert due == {
        "p-plain": "2026-03-02T09:10:00+00:00",
        "p-count": "2026-03-10T09:00:00+00:00",
        "p-raise": "2026-03-02T09:05:30+00:00",
    }

    # a day later: the two learning cards are due, p-count is not; p-raise (graded Hard) has
    # the lower recall probability and comes first
    again = spawn(args, isolated_home, "2026-03-03T09:00:00+00:00")
    again.expect(r"1/2 .*p-raise")
    again.expect("Does it raise")
    again.sendcontrol("c")  # Ctrl-C at a prompt
    again.expect("every graded card is saved")
    again.expect(pexpect.EOF)
    again.close()
    assert again.exitstatus == 130
