"""Typing in a real pseudo-terminal: line editing, the challenge prompts, Enter at the grades."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pexpect
import pytest

from tests.test_terminal import DECK, spawn, sqlaquiz_command

NOW = "2026-03-02T09:00:00+00:00"
LEFT, RIGHT, UP = "\x1b[D", "\x1b[C", "\x1b[A"
BACKSPACE = "\x7f"


@pytest.fixture
def session(isolated_home: Path):  # type: ignore[no-untyped-def]
    trusted = subprocess.run([*sqlaquiz_command(), "trust", DECK], capture_output=True, check=False)
    assert trusted.returncode == 0, trusted.stderr
    child = spawn(["start", "--deck", DECK, "--topic", "practice"], isolated_home, NOW)
    yield child
    child.close(force=True)


def logged(home: Path) -> list[dict]:  # type: ignore[type-arg]
    out = home.parent / "export.json"
    subprocess.run(
        [*sqlaquiz_command(), "export", str(out), "--force"],
        env={"SQLAQUIZ_HOME": str(home), "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
    )
    return json.loads(out.read_text())["reviews"]  # type: ignore[no-any-return]


@pytest.mark.slow
def test_a_typed_answer_is_edited_with_arrows_and_backspace(
    session: pexpect.spawn, isolated_home: Path
) -> None:
    session.expect("Your answer")
    # "identxty map": back over " map" and "y", fix the x, forward again, add a word
    session.send("identxty map" + LEFT * 5 + BACKSPACE * 2 + "it" + RIGHT * 5 + "!")
    session.send("\r")
    session.expect(r"\[3\] Good")
    session.send("3")
    # the lines typed before come back with the up arrow, at any prompt
    session.expect("How many queries")
    session.send(UP)
    session.expect("identity map!")
    session.send("\x15" + "2\r")  # Ctrl-U clears the recalled line
    session.expect("Right. You predicted 2")
    session.expect(r"\[4\] Easy")
    session.send("4")
    session.expect(r"Does it raise\? y/n")
    session.send("q")
    session.expect(pexpect.EOF)
    answers = [(r["card_id"], r["typed_answer"], r["prediction"]) for r in logged(isolated_home)]
    assert answers == [("p-plain", "identity map!", None), ("p-count", None, "2")]


@pytest.mark.slow
def test_the_challenge_prompts_understand_help_dont_know_skip_and_wrong_keys(
    session: pexpect.spawn, isolated_home: Path
) -> None:
    session.expect("Your answer")
    session.send("\r")
    session.expect(r"\[3\] Good")
    session.send("z")  # a key that grades nothing says what to press
    session.expect(r"press 1 Again · 2 Hard · 3 Good \(or Enter\) · 4 Easy; \? shows every key")
    session.expect(r"\[3\] Good")
    session.send(" ")  # Space (or Enter) is Good, as in Anki, and says so
    session.expect("Enter / Space: Good")
    session.expect("saved — next review in 10m")
    # the count prompt: ? shows the keys, Enter is "I don't know": the run shows the truth
    session.expect("How many queries")
    session.send("?\r")
    session.expect("undo the last grade")
    session.expect("How many queries")
    session.send("\r")
    session.expect(r"No prediction \(not scored\): the 'two' cell sent 2 queries\.")
    session.expect(r"\[4\] Easy")
    session.send("4")
    # the y/n prompt: a wrong key or an arrow says what is expected; s skips the card
    session.expect(r"Does it raise\? y/n")
    session.send("z")  # (x would show the whole example)
    session.expect(r"press y \(it raises\) or n \(it does not\)")
    session.expect(r"Does it raise\? y/n")  # asked again: the key goes to the new prompt
    session.send(LEFT)
    session.expect(r"press y \(it raises\) or n \(it does not\)")
    session.expect(r"Does it raise\? y/n")
    session.send("s")
    session.expect(r"p-plain comes back in 10m\. Enter waits for it · q ends the session > ")
    session.send("q")
    session.expect("skipped +1")
    session.expect(pexpect.EOF)
    rows = [(r["card_id"], r["rating"], r["prediction"]) for r in logged(isolated_home)]
    assert rows == [("p-plain", 3, None), ("p-count", 4, None)]


SLOW_DECK = """\
topic:
  slug: slow
  name: Slow
description: A card whose example takes a minute.
cards:
  - id: slow-sleep
    difficulty: easy
    tags: [slow]
    question: |
      Does sleeping take long?
    answer: |
      Yes.

      **Rule of thumb:** it does.
    example: |
      import time
      print("asleep", flush=True)
      time.sleep(60)
"""


@pytest.mark.slow
def test_ctrl_c_during_a_run_stops_the_run_not_the_session(
    isolated_home: Path, tmp_path: Path
) -> None:
    deck = tmp_path / "slow.yaml"
    deck.write_text(SLOW_DECK)
    assert subprocess.run([*sqlaquiz_command(), "trust", str(deck)], check=False).returncode == 0
    args = ["start", "--deck", str(deck), "--topic", "slow", "--timeout", "120"]
    child = spawn(args, isolated_home, NOW)
    try:
        child.expect("Your answer")
        child.send("\r")
        child.expect(r"\[3\] Good")
        child.send("r")
        child.expect("running the example")
        child.sendcontrol("c")
        child.expect(r"run stopped with Ctrl-C; the session goes on \(q quits\)", timeout=10)
        child.expect(r"\[3\] Good")  # the same card, its grades still waiting
        child.send("3")
        child.expect("saved — next review in 10m")
        child.expect("slow-sleep comes back in 10m")
        child.send("q")
        child.expect("session summary")
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0
    finally:
        child.close(force=True)
    rows = [(r["card_id"], r["rating"]) for r in logged(isolated_home)]
    assert rows == [("slow-sleep", 3)]


@pytest.mark.slow
def test_again_on_the_last_card_waits_for_it_until_a_key_is_pressed(
    isolated_home: Path,
) -> None:
    child = spawn(["start", "--deck", DECK, "--tag", "basics"], isolated_home, NOW)
    try:
        child.expect("Your answer")
        child.send("\r")
        child.expect(r"\[1\] Again 1m")
        child.send("1")
        child.expect(r"p-plain comes back in 1m\. Enter waits for it · q ends the session > ")
        child.send("\r")
        child.expect("waiting 1m for p-plain · any key ends the session")
        child.send("x")  # the clock is frozen: only a key ends this wait
        child.expect("session summary")
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0
    finally:
        child.close(force=True)
