"""FSRS scheduling with fuzzing off and a fixed clock: exact intervals."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from quiz.review import scheduler as sch

START = datetime(2026, 1, 1, 9, 0, tzinfo=timezone.utc)


def intervals(ratings: list[int]) -> list[timedelta]:
    s = sch.make_scheduler(fuzz=False)
    card, now, out = sch.new_card(), START, []
    for r in ratings:
        card, _ = sch.review(s, card, sch.Rating(r), now)
        out.append(sch.utc(card.due) - now)
        now = sch.utc(card.due)  # review exactly when due
    return out


D, M = timedelta(days=1), timedelta(minutes=1)


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [
        ([3, 3, 3, 3], [10 * M, 2 * D, 11 * D, 46 * D]),
        ([1, 3, 3, 3], [1 * M, 10 * M, 1 * D, 2 * D]),
        ([4, 4, 4], [8 * D, 66 * D, 397 * D]),
        ([3, 3, 1, 3, 3], [10 * M, 2 * D, 10 * M, 1 * D, 2 * D]),
    ],
)
def test_exact_intervals(ratings: list[int], expected: list[timedelta]) -> None:
    assert intervals(ratings) == expected


def test_preview_shows_each_grade_and_formats_like_anki() -> None:
    s = sch.make_scheduler(fuzz=True)  # the preview is never fuzzed
    preview = sch.preview(s, sch.new_card(), START)
    assert {int(k): sch.format_interval(v) for k, v in preview.items()} == {
        1: "1m",
        2: "6m",
        3: "10m",
        4: "8d",
    }


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=20), "1m"),
        (timedelta(minutes=90), "2h"),
        (timedelta(days=3), "3d"),
        (timedelta(days=75), "2.5mo"),
        (timedelta(days=400), "1.1y"),
    ],
)
def test_format_interval(delta: timedelta, text: str) -> None:
    assert sch.format_interval(delta) == text


def test_queue_puts_lowest_retrievability_first_then_new_cards() -> None:
    s = sch.make_scheduler(fuzz=False)
    states = {}
    for cid, ratings, days_ago in (("a", [3, 3], 30), ("b", [3, 3], 3), ("c", [4], 100)):
        card, now = sch.new_card(), START - timedelta(days=days_ago)
        for r in ratings:
            card, _ = sch.review(s, card, sch.Rating(r), now)
            now = sch.utc(card.due)
        states[cid] = card
    queue = sch.build_queue(["n1", "a", "b", "n2", "c", "n3"], states, s, START, new_allowed=2)
    # all three are overdue; lowest retrievability first, then two new cards in deck order
    r = {cid: sch.retrievability(s, card, START) for cid, card in states.items()}
    assert r["a"] < r["c"] < r["b"]
    assert queue == ["a", "c", "b", "n1", "n2"]
    assert sch.build_queue(["n1", "a", "c"], states, s, START, new_allowed=5, limit=2) == ["a", "c"]


def test_retention_bounds() -> None:
    with pytest.raises(ValueError, match=r"between 0\.70 and 0\.99"):
        sch.make_scheduler(retention=0.5)


def test_with_fuzz_the_interval_on_the_key_is_the_interval_you_get() -> None:
    s = sch.make_scheduler(fuzz=True)
    card, _ = sch.review(s, sch.new_card(), sch.Rating.Good, START)
    card, _ = sch.review(s, card, sch.Rating.Good, START + timedelta(minutes=10))
    later = START + timedelta(days=3)
    seen = set()
    for seed in range(20):
        shown = sch.preview(s, card, later, seed=seed)[sch.Rating.Easy]
        got = sch.rescheduler(s, sch.Rating.Easy, later, seed=seed)(card)
        assert sch.utc(got.due) - later == shown
        seen.add(shown)
    assert len(seen) > 1  # the fuzz really varies; the seed only pins it per card
