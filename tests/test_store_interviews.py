"""Schema 4 in the store: key-point coverage on reviews, mock interviews, cards brought forward."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from quiz.errors import TransferError
from quiz.progress import transfer
from quiz.progress.migrations import MIGRATIONS
from quiz.progress.records import Interview
from quiz.progress.store import ReviewInput, Store
from quiz.review import scheduler as sch

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    opened = Store.open(tmp_path / "p.sqlite3")
    yield opened
    opened.close()


def grade(store: Store, card_id: str, rating: int, at: datetime, **extra: object) -> int:
    s = sch.make_scheduler(fuzz=False)
    review_id, _ = store.record_review(
        ReviewInput(card_id, rating, at, **extra),  # type: ignore[arg-type]
        sch.rescheduler(s, sch.Rating(rating), at),
    )
    return review_id


def interview(at: datetime, covered: int = 3, total: int = 5) -> Interview:
    return Interview(
        started_at=at,
        ended_at=at + timedelta(minutes=20),
        minutes=30,
        questions=4,
        key_points_covered=covered,
        key_points_total=total,
        predictions_right=1,
        predictions_total=2,
        exercises_passed=0,
        exercises_total=0,
        scorecard=json.dumps({"questions": []}),
    )


def test_a_review_keeps_its_key_point_coverage(store: Store) -> None:
    grade(store, "a", 3, T0, typed_answer="autoflush", key_points_covered=1, key_points_total=3)
    grade(store, "b", 3, T0)
    a, b = store.reviews()
    assert (a.key_points_covered, a.key_points_total) == (1, 3)
    assert (b.key_points_covered, b.key_points_total) == (None, None)


def test_a_version_3_database_gains_the_columns_and_keeps_its_reviews(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    Store.open(path, target_version=3).close()
    with sqlite3.connect(path) as con:
        con.execute(
            "INSERT INTO review_log (card_id, rating, reviewed_at, was_due, due_after)"
            " VALUES ('a', 3, '2026-05-01 08:00:00', 0, '2026-05-02 08:00:00')"
        )
    con.close()
    store = Store.open(path)
    try:
        assert store.version == 4 == max(MIGRATIONS)
        (review,) = store.reviews()
        assert (review.card_id, review.key_points_covered, review.key_points_total) == (
            "a",
            None,
            None,
        )
        assert store.interviews() == []
    finally:
        store.close()


def test_interviews_are_kept_oldest_first_and_same_instant_ones_apart(store: Store) -> None:
    later, first = interview(T0 + timedelta(days=1)), interview(T0)
    ids = [store.record_interview(later), store.record_interview(first)]
    again = store.record_interview(interview(T0, covered=5))
    kept = store.interviews()
    assert [i.id for i in kept] == [ids[1], again, ids[0]]
    assert [i.started_at for i in kept] == [T0, T0 + timedelta(microseconds=1), later.started_at]
    assert kept[0] == Interview(**{**first.__dict__, "id": ids[1]})


def test_interviews_travel_in_the_export_and_import_once(store: Store, tmp_path: Path) -> None:
    store.record_interview(interview(T0))
    grade(store, "a", 2, T0, key_points_covered=1, key_points_total=2)
    out = tmp_path / "out.json"
    transfer.write_file(out, transfer.to_json(store.export()))
    data = json.loads(out.read_text())
    assert data["version"] == 3
    assert data["interviews"][0]["key_points_covered"] == 3
    assert data["reviews"][0]["key_points_total"] == 2
    other = Store.open(tmp_path / "other.sqlite3")
    try:
        added = other.import_progress(transfer.read_file(out))
        assert (added.reviews, added.interviews) == (1, 1)
        assert other.import_progress(transfer.read_file(out)).interviews == 0
        assert [i.key_points_covered for i in other.interviews()] == [3]
        assert other.reviews()[0].key_points_covered == 1
    finally:
        other.close()


def test_an_export_with_a_broken_scorecard_is_refused(store: Store, tmp_path: Path) -> None:
    store.record_interview(interview(T0))
    out = tmp_path / "out.json"
    data = transfer.to_json(store.export())
    data["interviews"][0]["scorecard"] = "[1, 2]"
    transfer.write_file(out, data)
    with pytest.raises(TransferError, match=r"field 'interviews\.0\.scorecard': not a scorecard"):
        transfer.read_file(out)


def test_reset_all_forgets_the_interviews_and_one_card_keeps_them(store: Store) -> None:
    store.record_interview(interview(T0))
    grade(store, "a", 3, T0)
    store.reset("a")
    assert len(store.interviews()) == 1
    store.reset()
    assert store.interviews() == []


def test_bring_forward_makes_scheduled_cards_due_now_and_leaves_the_rest(store: Store) -> None:
    grade(store, "later", 4, T0)  # due in days
    grade(store, "soon", 1, T0)  # due in a minute
    now = T0 + timedelta(minutes=30)
    before = store.states()
    assert before["later"].due > now >= before["soon"].due
    assert store.bring_forward(["later", "soon", "never-graded", "later"], now) == ["later"]
    after = store.states()
    assert after["later"].due == now == after["later"].fsrs.due
    assert after["later"].fsrs.stability == before["later"].fsrs.stability
    assert after["soon"] == before["soon"]
    assert "never-graded" not in after


def test_an_export_is_written_in_the_oldest_format_that_holds_it(store: Store) -> None:
    grade(store, "a", 3, T0, typed_answer="hm")  # nothing checked: version 1
    data = transfer.to_json(store.export())
    assert data["version"] == 1 and "interviews" not in data
    assert "key_points_total" not in data["reviews"][0]
    grade(store, "b", 3, T0, key_points_covered=0, key_points_total=2)
    assert transfer.to_json(store.export())["version"] == 3
    store.reset("b")
    store.record_interview(interview(T0))
    assert transfer.to_json(store.export())["version"] == 3
