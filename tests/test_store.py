"""The progress database: migrations, foreign and corrupt files, concurrency, undo."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from quiz.errors import StoreError
from quiz.progress.store import SCHEMA_VERSION, ReviewInput, Store
from quiz.review import scheduler as sch

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def close_stores(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Close every store a test opens (Python 3.13 warns about unclosed SQLite connections)."""
    opened: list[Store] = []
    real_open = Store.open.__func__  # type: ignore[attr-defined]

    def tracking_open(cls, *args, **kwargs):  # type: ignore[no-untyped-def]
        store = real_open(cls, *args, **kwargs)
        opened.append(store)
        return store

    monkeypatch.setattr(Store, "open", classmethod(tracking_open))
    yield
    for store in opened:
        store.close()


def grade(store: Store, card_id: str, rating: int, at: datetime) -> int:
    s = sch.make_scheduler(fuzz=False)
    review_id, _ = store.record_review(
        ReviewInput(card_id, rating, at), sch.rescheduler(s, sch.Rating(rating), at)
    )
    return review_id


def test_new_database_is_current_and_marked(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "p.sqlite3")
    assert store.version == SCHEMA_VERSION
    store.close()
    con = sqlite3.connect(tmp_path / "p.sqlite3")
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("PRAGMA application_id").fetchone()[0] == 0x53514C51
    finally:
        con.close()


def test_version_1_database_is_migrated_forward_keeping_data(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    Store.open(path, target_version=1).close()
    con = sqlite3.connect(path)
    con.execute(
        "INSERT INTO review_log (card_id, rating, reviewed_at, was_due, due_after)"
        " VALUES ('x', 3, '2026-01-01 00:00:00', 0, '2026-01-02 00:00:00')"
    )
    con.commit()
    con.close()
    store = Store.open(path)
    assert store.version == SCHEMA_VERSION
    (row,) = store.reviews()
    assert (row.card_id, row.rating, row.session_id) == ("x", 3, None)


def test_foreign_sqlite_file_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "theirs.sqlite3"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE notes (body TEXT)")
    con.commit()
    con.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="is an SQLite database but not sqlaquiz's"):
        Store.open(path)
    assert path.read_bytes() == before


def test_corrupt_file_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite3"
    path.write_bytes(b"definitely not a database" * 100)
    before = path.read_bytes()
    with pytest.raises(
        StoreError,
        match=r"is not a readable sqlaquiz progress database \(file is "
        r"not a database\); it was left untouched",
    ):
        Store.open(path)
    assert path.read_bytes() == before


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    Store.open(path).close()
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version = 99")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="schema version 99, newer than this sqlaquiz"):
        Store.open(path)


def test_lapses_count_again_on_review_cards_and_undo_restores(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "p.sqlite3")
    grade(store, "c", 3, T0)
    grade(store, "c", 3, T0 + timedelta(minutes=10))  # now in Review, due in 2 days
    before = store.states()["c"]
    log_id = grade(store, "c", 1, T0 + timedelta(days=2, minutes=10))
    after = store.states()["c"]
    assert (before.lapses, after.lapses, after.reps) == (0, 1, 3)
    assert [r.was_due for r in store.reviews()] == [False, True, True]
    assert store.undo(log_id) == "c"
    restored = store.states()["c"]
    assert (restored.lapses, restored.reps, restored.due, restored.fsrs) == (
        before.lapses,
        before.reps,
        before.due,
        before.fsrs,
    )
    assert store.review_count() == 2


def test_two_sessions_at_once_lose_no_review(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    Store.open(path).close()
    errors: list[Exception] = []

    def session(prefix: str) -> None:
        store = Store.open(path)
        try:
            for i in range(40):
                grade(store, f"{prefix}-{i}", 3, T0 + timedelta(seconds=i))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=session, args=(p,)) for p in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    store = Store.open(path)
    assert store.review_count() == 80
    assert len(store.states()) == 80


def test_reset_one_card_or_all(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "p.sqlite3")
    grade(store, "a", 3, T0)
    grade(store, "b", 3, T0)
    assert store.reset("a") == 1
    assert set(store.states()) == {"b"}
    assert store.reset() == 1
    assert store.states() == {}


GRADER = """
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from quiz.review import scheduler as sch
from quiz.progress.store import ReviewInput, Store

store = Store.open(Path(sys.argv[1]))
s = sch.make_scheduler(fuzz=False)
t0 = datetime(2026, 5, 1, tzinfo=timezone.utc) + timedelta(seconds=int(sys.argv[2]))
for i in range(60):
    at = t0 + timedelta(minutes=i)
    store.record_review(ReviewInput(f"card-{i % 3}", 3, at), sch.rescheduler(s, sch.Rating(3), at))
"""


def test_processes_grading_the_same_cards_lose_nothing(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "p.sqlite3"
    Store.open(path).close()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", GRADER, str(path), str(n)], stderr=subprocess.PIPE, text=True
        )
        for n in range(4)
    ]
    errors = [p.communicate()[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    store = Store.open(path)
    assert store.review_count() == 240
    assert sorted(st.reps for st in store.states().values()) == [80, 80, 80]


def test_same_instant_grades_are_kept_apart(tmp_path: Path) -> None:
    """With a frozen clock a card can be graded twice at one instant (Again, then Good)."""
    store = Store.open(tmp_path / "p.sqlite3")
    grade(store, "c", 1, T0)
    grade(store, "c", 3, T0)
    times = [r.reviewed_at for r in store.reviews()]
    assert times[1] - times[0] == timedelta(microseconds=1)
    assert store.states()["c"].reps == 2
