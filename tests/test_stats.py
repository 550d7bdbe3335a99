"""Statistics computed from the store's records alone: no database, no command."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from fsrs import Card as FsrsCard
from fsrs import Rating, State

from quiz.deck.loader import load_library
from quiz.progress.records import CardProgress, Review
from quiz.progress.stats import card_rows, stats

DECK = Path(__file__).parent / "data" / "practice.yaml"
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc)


def review(card_id: str, rating: Rating, days_ago: int, **kwargs: object) -> Review:
    at = NOW - timedelta(days=days_ago)
    fields: dict = {  # type: ignore[type-arg]
        "duration_ms": None,
        "typed_answer": None,
        "prediction": None,
        "prediction_right": None,
        "was_due": True,
        "session_id": None,
        **kwargs,
    }
    return Review(card_id, rating, at, due_after=at + timedelta(days=1), **fields)


def progress(card_id: str, state: State, due: datetime, lapses: int = 0) -> CardProgress:
    fsrs = FsrsCard(card_id=0, state=state, stability=5.0, difficulty=5.0, due=due, last_review=NOW)
    return CardProgress(card_id, fsrs, due, state, 3, lapses, NOW, NOW)


def test_stats_from_records() -> None:
    library = load_library([DECK], bundled=False)
    reviews = [
        review("p-plain", Rating.Good, 2, was_due=False, duration_ms=1500),
        review("p-plain", Rating.Again, 1, prediction="2", prediction_right=False),
        review("p-count", Rating.Good, 0, prediction="y", prediction_right=True),
        review("p-gone", Rating.Again, 0),  # a card no deck has any more
    ]
    states = {
        "p-plain": progress("p-plain", State.Relearning, NOW + timedelta(minutes=5), lapses=1),
        "p-count": progress("p-count", State.Review, NOW + timedelta(days=3)),
        "p-gone": progress("p-gone", State.Relearning, NOW),
    }
    report = stats(library, states, reviews, NOW).to_json()
    assert (report["reviews_total"], report["streak_days"], report["due_today"]) == (4, 3, 1)
    assert (report["retention"], report["retention_reviews"]) == (0.3333, 3)
    assert report["hardest"] == [
        {"id": "p-plain", "lapses": 1, "again": 1},
        {"id": "p-gone", "lapses": 0, "again": 1},
    ]
    assert report["predictions"] == {"total": 2, "right": 1, "accuracy": 0.5}
    assert report["time_spent_seconds"] == 1.5
    forecast = {d["date"]: d["due"] for d in report["due_forecast"] if d["due"]}
    assert forecast == {"2026-03-04": 1, "2026-03-07": 1}
    rows = {
        r.card.id: (r.state, r.is_due, r.retrievability is None)
        for r in card_rows(library.cards, states, NOW)
    }
    assert rows == {
        "p-plain": ("relearning", False, True),
        "p-count": ("review", False, False),
        "p-raise": ("new", False, True),
    }


def test_key_point_coverage_overall_and_per_session() -> None:
    library = load_library([DECK], bundled=False)
    reviews = [
        review("p-plain", Rating.Hard, 3, session_id="a", key_points_covered=1, key_points_total=3),
        review("p-count", Rating.Good, 3, session_id="a", key_points_covered=2, key_points_total=2),
        review("p-plain", Rating.Good, 2, session_id="b"),  # nothing typed: not checked
        review("p-plain", Rating.Good, 1, session_id="c", key_points_covered=3, key_points_total=3),
        review("p-count", Rating.Again, 0, key_points_covered=0, key_points_total=2),
    ]
    report = stats(library, {}, reviews, NOW).to_json()
    assert report["key_points"] == {
        "got": 6,
        "out_of": 10,
        "rate": 0.6,
        "sessions": [
            {"date": "2026-03-01", "got": 3, "out_of": 5, "rate": 0.6},
            {"date": "2026-03-03", "got": 3, "out_of": 3, "rate": 1.0},
            {"date": "2026-03-04", "got": 0, "out_of": 2, "rate": 0.0},
        ],
    }


def test_the_trend_shows_the_last_five_sessions() -> None:
    library = load_library([DECK], bundled=False)
    reviews = [
        review("p-plain", Rating.Good, 7 - i, session_id=str(i), key_points_covered=i % 3,
               key_points_total=2)
        for i in range(7)
    ]  # fmt: skip
    sessions = stats(library, {}, reviews, NOW).to_json()["key_points"]["sessions"]
    assert [s["got"] for s in sessions] == [2, 0, 1, 2, 0]
    assert sessions[-1]["date"] == "2026-03-03"
