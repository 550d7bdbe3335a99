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


# ------------------------------------------------------------------ records and schema


def test_the_store_hands_out_frozen_records_with_aware_times_and_fsrs_enums(
    tmp_path: Path,
) -> None:
    import dataclasses

    from fsrs import Rating, State

    from quiz.progress.records import CardProgress, Review

    store = Store.open(tmp_path / "p.sqlite3")
    grade(store, "c", 3, T0)
    review_id = grade(store, "c", 4, T0 + timedelta(minutes=10))
    card = store.states()["c"]
    assert isinstance(card, CardProgress)
    assert (card.state, card.reps, card.lapses) == (State.Review, 2, 0)
    assert type(card.state) is State
    assert card.due == T0 + timedelta(days=4, minutes=10)  # Good, then Easy 10 minutes later
    assert card.due.tzinfo == timezone.utc
    assert (card.first_review, card.last_review) == (T0, T0 + timedelta(minutes=10))
    assert card.fsrs.due == card.due and card.fsrs.state == State.Review
    first, second = store.reviews()
    assert isinstance(second, Review)
    assert [type(r.rating) for r in (first, second)] == [Rating, Rating]
    assert (first.rating, second.rating, second.id) == (Rating.Good, Rating.Easy, review_id)
    assert second.reviewed_at == T0 + timedelta(minutes=10)
    assert second.reviewed_at.tzinfo == timezone.utc
    # the log keeps the card as it was before each grade: what undo restores
    log = store.export().reviews
    assert [entry.review for entry in log] == [first, second]
    before = log[1].state_before
    assert log[0].state_before is None and before is not None
    assert (before.due, before.state, before.reps) == (
        T0 + timedelta(minutes=10),
        State.Learning,
        1,
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        card.reps = 7  # type: ignore[misc]
    assert store.reviews(since=T0 + timedelta(minutes=1)) == [second]
    assert store.new_cards_since(T0) == 1
    assert store.new_cards_since(T0 + timedelta(seconds=1)) == 0


def test_a_review_input_takes_a_plain_rating_and_a_naive_utc_time() -> None:
    from fsrs import Rating

    review = ReviewInput("c", 2, datetime(2026, 5, 1, 8, 0))  # type: ignore[arg-type]
    assert review.rating is Rating.Hard
    assert review.reviewed_at == T0
    with pytest.raises(ValueError, match="5 is not a valid Rating"):
        ReviewInput("c", 5, T0)  # type: ignore[arg-type]


def test_export_then_import_into_an_empty_store_gives_equal_records(tmp_path: Path) -> None:
    from dataclasses import replace

    from quiz.progress.records import LoggedReview, Progress

    source = Store.open(tmp_path / "a.sqlite3")
    grade(source, "a", 3, T0)
    grade(source, "a", 1, T0 + timedelta(minutes=10))
    grade(source, "b", 4, T0 + timedelta(minutes=11))
    exported = source.export()
    assert [c.card_id for c in exported.cards] == ["a", "b"]
    target = Store.open(tmp_path / "b.sqlite3")
    added = target.import_progress(exported)
    assert (added.cards, added.reviews, added.skipped) == (2, 3, 0)
    again = target.export()
    assert again.cards == exported.cards

    def without_ids(progress: Progress) -> list[LoggedReview]:
        return [replace(e, review=replace(e.review, id=None)) for e in progress.reviews]

    assert without_ids(again) == without_ids(exported)
    assert [e.review.id for e in again.reviews] == [1, 2, 3]
    assert target.import_progress(exported).skipped == 3


def test_the_schema_written_once_is_what_the_migrations_build(tmp_path: Path) -> None:
    """quiz/progress/schema.py describes the tables; the frozen migrations must build exactly
    those columns, types, keys and indexes."""
    from sqlalchemy import UniqueConstraint
    from sqlalchemy.dialects import sqlite

    from quiz.progress.schema import Base

    path = tmp_path / "p.sqlite3"
    Store.open(path).close()
    con = sqlite3.connect(path)
    try:
        assert {t.name for t in Base.metadata.sorted_tables} == {
            name for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        for table in Base.metadata.sorted_tables:
            built = {
                name: (kind, bool(notnull), bool(pk))
                for _, name, kind, notnull, _, pk in con.execute(f"PRAGMA table_info({table.name})")
            }
            described = {
                c.name: (
                    c.type.compile(dialect=sqlite.dialect()),
                    # SQLite reports a PRIMARY KEY column as nullable unless it says NOT NULL
                    not c.nullable and not c.primary_key,
                    c.primary_key,
                )
                for c in table.columns
            }
            assert built == described, table.name
            indexes = {row[1]: row for row in con.execute(f"PRAGMA index_list({table.name})")}
            assert {n for n, row in indexes.items() if row[3] == "c"} == {
                ix.name for ix in table.indexes
            }
            uniques = {
                tuple(col for _, _, col in con.execute(f"PRAGMA index_info({n})"))
                for n, row in indexes.items()
                if row[3] == "u"
            }
            assert uniques == {
                tuple(c.name for c in u.columns)
                for u in table.constraints
                if isinstance(u, UniqueConstraint)
            }
    finally:
        con.close()


def test_an_unreadable_saved_state_is_a_clean_error(tmp_path: Path) -> None:
    """sqlaquiz 0.1.0 imported any JSON object as a review's state before it."""
    path = tmp_path / "p.sqlite3"
    store = Store.open(path)
    grade(store, "c", 3, T0)
    review_id = grade(store, "c", 3, T0 + timedelta(minutes=10))
    con = sqlite3.connect(path)
    con.execute("UPDATE review_log SET state_before = '{}' WHERE id = ?", (review_id,))
    con.commit()
    con.close()
    message = f"{path}: the card state saved with review 2 of 'c' is unreadable (KeyError: 'fsrs')"
    exported = store.export()  # every other row is still saved, the unreadable one counted
    assert (len(exported.cards), len(exported.reviews), exported.unreadable) == (1, 1, 1)
    with pytest.raises(StoreError) as undone:
        store.undo(review_id)
    assert str(undone.value) == message
    assert store.review_count() == 2  # the undo changed nothing
