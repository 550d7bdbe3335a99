"""The progress database under attack: a grade is only "saved" when it is, a damaged row does
not stop the rescue of the rest, and a file that is no database is refused without a hang."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from quiz.deck.loader import load_library
from quiz.errors import StoreLost, Terminated
from quiz.paths import data_dir
from quiz.progress.store import DB_NAME, ReviewInput, Store
from quiz.review import scheduler
from quiz.review.session import ReviewSession, SessionOptions
from tests.hostile.conftest import CARD, deck_text, invoke, one_line, snapshot

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def grade(store: Store, card_id: str, at: datetime = T0) -> int:
    fixed = scheduler.make_scheduler(fuzz=False)
    review = ReviewInput(card_id, scheduler.Rating.Good, at)
    return store.record_review(review, scheduler.rescheduler(fixed, review.rating, at))[0]


def _delete(path: Path) -> None:
    path.unlink()


def _replace(path: Path) -> None:
    other = path.with_name("other.sqlite3")
    Store.open(other).close()
    os.replace(other, path)


def _zero_header(path: Path) -> None:
    with open(path, "r+b") as f:
        f.write(b"\0" * 100)


def _remove_folder(path: Path) -> None:
    shutil.rmtree(path.parent)


LOSSES: dict[str, tuple[Callable[[Path], None], str]] = {
    "deleted": (_delete, "was deleted while sqlaquiz had it open"),
    "replaced": (_replace, "was replaced by another file while sqlaquiz had it open"),
    "header zeroed": (_zero_header, "was damaged (its header was overwritten)"),
    "folder removed": (_remove_folder, "was deleted while sqlaquiz had it open"),
}


@pytest.mark.parametrize("how", list(LOSSES))
def test_the_store_refuses_to_write_into_a_lost_file(how: str, home: Path) -> None:
    path = home / DB_NAME
    store = Store.open(path)
    try:
        grade(store, "a")
        lose, says = LOSSES[how]
        lose(path)
        left = snapshot(home)
        with pytest.raises(StoreLost) as lost:
            grade(store, "b", T0 + timedelta(minutes=1))
        assert str(lost.value) == f"{path} {says}"
        assert snapshot(home) == left  # nothing written anywhere
    finally:
        store.close()


class _NoRunner:
    """A session's runner for decks without examples: nothing to start, nothing to run."""

    class database:
        name = "sqlite"

    def start(self) -> None: ...

    def close(self) -> None: ...


class _Keys:
    """Input that does something to the database file at the n-th line it is asked for."""

    def __init__(self, lines: list[str], at: int = -1, act: Callable[[], None] = lambda: None):
        self.lines, self.at, self.act, self.asked = list(lines), at, act, 0

    def key(self, prompt: str, allowed: str) -> str:
        return self.line(prompt)[:1]

    def line(self, prompt: str) -> str:
        self.asked += 1
        if self.asked == self.at:
            self.act()
        if not self.lines:
            raise EOFError
        return self.lines.pop(0)


DECK = deck_text(*(CARD.format(id=f"card-{i}", question=f"Q{i}?") for i in range(3)))


def session(tmp_path: Path, keys: _Keys) -> tuple[ReviewSession, io.StringIO]:
    path = tmp_path / "deck.yaml"
    path.write_text(DECK)
    cards = [c for c in load_library([path]).cards if c.topic == "hostile"]
    store = Store.open(data_dir() / DB_NAME)
    out = io.StringIO()
    clock = iter(T0 + timedelta(seconds=i) for i in range(1000))
    runner: Any = _NoRunner()
    review = ReviewSession(
        cards, store, Console(file=out, width=1000), keys,
        SessionOptions(fuzz=False), clock=lambda: next(clock), runner=runner,
    )  # fmt: skip
    return review, out


def play(tmp_path: Path, keys: _Keys) -> tuple[ReviewSession, str]:
    """Run a whole session on the three-card deck; what it showed."""
    review, out = session(tmp_path, keys)
    try:
        assert review.run() == 0
    finally:
        review.grader.store.close()
    return review, out.getvalue()


@pytest.mark.parametrize("how", list(LOSSES))
def test_a_session_says_so_at_the_next_grade_and_keeps_it_in_a_rescue_file(
    how: str, tmp_path: Path, home: Path
) -> None:
    path = home / DB_NAME
    lose, says = LOSSES[how]
    # card-0 graded and saved; the file is lost before card-1's grade; card-2 after it too
    keys = _Keys(["", "3", "", "3", "", "4"], at=3, act=lambda: lose(path))
    review, shown = play(tmp_path, keys)
    assert shown.count("saved — next review") == 1
    (lost,) = [line for line in shown.splitlines() if line.startswith("✗")]
    rescue = review.grader.rescue_path
    assert rescue is not None and rescue.parent == home
    assert lost == (
        f"✗ {path} {says}: this grade and the next ones are kept in {rescue} instead "
        "(`sqlaquiz import` that file adds them back)"
    )
    assert shown.count("kept in the rescue file — next review in") == 2
    assert f"2 grades are in {rescue}, not in your progress database" in shown
    kept = json.loads(rescue.read_text())
    assert [r["card_id"] for r in kept["reviews"]] == ["card-1", "card-2"]
    # once there is a database again, the rescue file adds the grades back
    if path.exists():
        path.unlink()
    for extra in ("-wal", "-shm"):
        Path(f"{path}{extra}").unlink(missing_ok=True)
    imported = invoke("import", str(rescue))
    assert imported.exit_code == 0, imported.output
    assert "imported 2 new reviews and 2 card states" in imported.stdout


def test_undo_of_a_rescued_grade_takes_it_out_of_the_rescue_file(
    tmp_path: Path, home: Path
) -> None:
    path = home / DB_NAME
    keys = _Keys(["", "3", "", "3", "u", "", "1"], at=3, act=lambda: _delete(path))
    review, shown = play(tmp_path, keys)
    assert "undone: card-1 is back" in shown
    rescue = review.grader.rescue_path
    assert rescue is not None
    assert [r["rating"] for r in json.loads(rescue.read_text())["reviews"]] == [1]


def test_undo_of_a_grade_saved_before_the_loss_is_one_line_and_the_session_goes_on(
    tmp_path: Path, home: Path
) -> None:
    path = home / DB_NAME
    keys = _Keys(["", "3", "u", "", "3", "", "3"], at=3, act=lambda: _delete(path))
    review, shown = play(tmp_path, keys)
    assert f"\n✗ {path} was deleted while sqlaquiz had it open\n" in shown  # the undo, refused
    assert review.grader.rescued == 2  # card-1 and card-2 kept; card-0 stays as it was saved


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_ends_the_session_saying_what_is_saved(
    signum: int, tmp_path: Path, home: Path
) -> None:
    path = home / DB_NAME

    def lose_then_signal() -> None:
        _delete(path)

    keys = _Keys(["", "3", "", "3", ""], at=3, act=lose_then_signal)
    review, _ = session(tmp_path, keys)
    real_line = keys.line

    def line(prompt: str) -> str:
        if keys.asked == 4:  # after card-1 went to the rescue file
            raise Terminated(signum)
        return real_line(prompt)

    keys.line = line  # type: ignore[method-assign]
    try:
        with pytest.raises(Terminated) as ended:
            review.run()
    finally:
        review.grader.store.close()
    assert ended.value.exit_code == 128 + signum
    rescue = review.grader.rescue_path
    assert ended.value.saved == (  # type: ignore[attr-defined]
        f"1 saved, 1 kept in {rescue} (add them with `sqlaquiz import` that file)"
    )


# ----------------------------------------------------------------------------- damaged rows

DAMAGE = {
    "fsrs not JSON": ("card_state", "fsrs", "'not json'"),
    "a due date in the year 9999": ("card_state", "due", "'9999-12-31 23:59:59.000000'"),
    "a due date that is no date": ("card_state", "due", "'yesterday'"),
    "reps as text": ("card_state", "reps", "'many'"),
    "a state that is no state": ("card_state", "state", "99"),
    "a rating that is no rating": ("review_log", "rating", "99"),
    "a review time in the year 1": ("review_log", "reviewed_at", "'0001-01-01 00:00:00.000000'"),
    "a saved state that is no state": ("review_log", "state_before", "'[1, 2]'"),
}


@pytest.mark.parametrize("name", list(DAMAGE))
def test_one_damaged_row_is_one_line_and_export_saves_the_rest(
    name: str, home: Path, tmp_path: Path
) -> None:
    path = home / DB_NAME
    store = Store.open(path)
    for i, card_id in enumerate(("a", "b", "c")):
        grade(store, card_id, T0 + timedelta(minutes=i))
    grade(store, "b", T0 + timedelta(days=3))  # so that b's second review has a saved state
    store.close()
    table, column, value = DAMAGE[name]
    con = sqlite3.connect(path)
    # b's card state, or b's last review (the one with a saved state before it)
    last = "(SELECT max(id) FROM review_log WHERE card_id = 'b')"
    where = "card_id = 'b'" if table == "card_state" else f"id = {last}"
    con.execute(f"UPDATE {table} SET {column} = {value} WHERE {where}")
    con.commit()
    con.close()
    env = {"SQLAQUIZ_NOW": "2026-03-10T09:00:00+00:00"}
    if column != "state_before":  # read only by export and undo
        one_line(invoke("stats", "--json", env=env), 5, "cannot be read", "sqlaquiz export FILE")
    out = tmp_path / "rescued.json"
    exported = invoke("export", str(out))
    assert exported.exit_code == 0, exported.output
    warning, _ = exported.stderr.splitlines()
    assert warning == (
        "warning: 1 damaged row of the progress database could not be read and are left out; "
        "everything else is exported"
    )
    data = json.loads(out.read_text())
    assert len(data["cards"]) + len(data["reviews"]) == 3 + 4 - 1
    path.unlink()
    Path(f"{path}-wal").unlink(missing_ok=True)
    assert invoke("import", str(out)).exit_code == 0  # what was rescued imports cleanly
    assert invoke("stats", "--json", env=env).exit_code == 0


@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_a_progress_file_that_is_no_file_is_refused_without_a_hang(kind: str, home: Path) -> None:
    path = home / DB_NAME
    os.mkfifo(path) if kind == "fifo" else path.mkdir()
    one_line(invoke("stats"), 5, f"{path} is not a regular file; it was left untouched")
    one_line(invoke("export", "-"), 5, "is not a regular file")
