"""In a real pseudo-terminal: `b` buries with one keypress, `?` lists it, a leech is said."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pexpect
import pytest

from tests.test_terminal import DECK, spawn, sqlaquiz_command


@pytest.mark.slow
def test_b_buries_by_keypress_and_the_help_shows_it(isolated_home: Path) -> None:
    trusted = subprocess.run([*sqlaquiz_command(), "trust", DECK], capture_output=True, check=False)
    assert trusted.returncode == 0, trusted.stderr
    args = ["start", "--deck", DECK, "--topic", "practice"]
    child = spawn(args, isolated_home, "2026-03-02T09:00:00+00:00")
    child.expect("Your answer")
    child.sendline("")
    child.expect(r"\[3\] Good 10m")
    child.send("?")  # a keypress: the help lists b
    child.expect("bury this card until tomorrow")
    child.send("b")
    child.expect("buried: p-plain comes back after 2026-03-0[23] ")
    child.expect("How many queries")  # the next card
    child.sendline("q")
    child.expect("skipped +1")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


@pytest.mark.slow
def test_minutes_ends_the_session_on_the_real_clock(isolated_home: Path) -> None:
    import time

    trusted = subprocess.run([*sqlaquiz_command(), "trust", DECK], capture_output=True, check=False)
    assert trusted.returncode == 0, trusted.stderr
    args = ["start", "--deck", DECK, "--topic", "practice", "--minutes", "0.1"]  # 6 seconds
    child = spawn(args, isolated_home, now="")  # an empty SQLAQUIZ_NOW: the real clock
    child.expect("Your answer")
    child.sendline("")
    child.expect(r"\[3\] Good")
    time.sleep(6.5)  # the time runs out while the card is on screen: it is still graded
    child.send("3")
    child.expect("Time is up \\(0.1 minutes\\): the session ends here.")
    child.expect("reviewed +1")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
