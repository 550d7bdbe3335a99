"""Grading through the store with an injected clock and fuzz off: exact intervals, saved."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from quiz.progress.store import Store
from quiz.review.grading import Grader
from quiz.review.scheduler import Rating, make_scheduler

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
M, D = timedelta(minutes=1), timedelta(days=1)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "p.sqlite3")
    yield opened
    opened.close()


def grader(store: Store, **kwargs) -> Grader:  # type: ignore[no-untyped-def]
    return Grader(store, make_scheduler(fuzz=False), session_id="s1", **kwargs)


def test_each_grade_gives_the_exact_interval_and_is_saved(store: Store) -> None:
    g = grader(store)
    assert g.intervals("a", T0, seed=1) == {
        Rating.Again: 1 * M,
        Rating.Hard: timedelta(minutes=5, seconds=30),  # shown as 6m
        Rating.Good: 10 * M,
        Rating.Easy: 8 * D,
    }
    now, due_in = T0, []
    for _ in range(4):
        saved = g.grade("a", Rating.Good, now, shown_at=now - timedelta(seconds=25))
        assert saved is not None
        due_in.append(saved[1])
        now += saved[1]  # graded again exactly when due
    assert due_in == [10 * M, 2 * D, 11 * D, 46 * D]
    reviews = store.reviews()
    assert [(r.rating, r.duration_ms, r.session_id) for r in reviews] == [
        (Rating.Good, 25_000, "s1")
    ] * 4
    assert [r.was_due for r in reviews] == [False, True, True, True]
    assert store.states()["a"].due == now
    assert g.is_due("a", now) and not g.is_due("a", now - timedelta(seconds=1))
    assert g.next_due(["a", "b"]) == now
    assert g.new_left(["a", "b"]) == 1


def test_what_is_typed_and_predicted_goes_into_the_log(store: Store) -> None:
    g = grader(store)
    g.grade("a", Rating.Hard, T0, shown_at=T0, typed="the identity map")
    g.grade("b", Rating.Easy, T0, shown_at=T0 + M, prediction="2", right=True)  # clock skew: 0
    first, second = store.reviews()
    assert (first.typed_answer, first.prediction, first.prediction_right) == (
        "the identity map",
        None,
        None,
    )
    assert (second.prediction, second.prediction_right, second.duration_ms) == ("2", True, 0)


def test_undo_gives_the_card_its_previous_state_back(store: Store) -> None:
    g = grader(store)
    first = g.grade("a", Rating.Good, T0, shown_at=T0)
    assert first is not None
    before = g.intervals("a", T0 + 10 * M, seed=1)
    second = g.grade("a", Rating.Again, T0 + 10 * M, shown_at=T0 + 10 * M)
    assert second is not None and second[1] == 1 * M  # back to the first learning step
    g.undo(second[0], "a")
    assert g.intervals("a", T0 + 10 * M, seed=1) == before
    assert store.state("a") is not None and store.review_count() == 1
    g.undo(first[0], "a")
    assert "a" not in g.states and store.state("a") is None and store.review_count() == 0


def test_cram_saves_nothing(store: Store) -> None:
    g = grader(store, save=False)
    assert g.grade("a", Rating.Good, T0, shown_at=T0) is None
    assert (store.review_count(), g.states) == (0, {})


def test_the_queue_due_cards_first_then_new_ones_up_to_the_daily_limit(store: Store) -> None:
    g = grader(store)
    for card_id in ("a", "b"):
        g.grade(card_id, Rating.Again, T0, shown_at=T0)
    later = T0 + 5 * M
    order = ["n1", "a", "n2", "b", "n3"]
    # two new cards were seen today already: --new 3 leaves one
    assert g.queue(order, later, new_per_day=3) == ["a", "b", "n1"]
    assert g.queue(order, later, new_per_day=3, limit=2) == ["a", "b"]
    assert g.queue(order, later) == ["a", "b", "n1", "n2", "n3"]  # 10 a day by default
    assert g.queue(order, T0) == ["n1", "n2", "n3"]  # a and b are due in a minute, not yet
    assert g.queue(order, T0, cram=True, limit=2) == ["n1", "a"]


def test_with_fuzz_the_interval_shown_is_the_interval_saved(store: Store) -> None:
    g = Grader(store, make_scheduler(fuzz=True))
    g.grade("a", Rating.Good, T0, shown_at=T0)
    g.grade("a", Rating.Good, T0 + 10 * M, shown_at=T0 + 10 * M)
    later = T0 + 3 * D
    shown = g.intervals("a", later, seed=7)[Rating.Easy]
    saved = g.grade("a", Rating.Easy, later, shown_at=later, seed=7)
    assert saved is not None and saved[1] == shown
