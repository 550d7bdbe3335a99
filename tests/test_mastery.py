"""What "recall" and "mastery" mean: a card's memory counts once it has been tested."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from fsrs import Rating
from typer.testing import CliRunner

from quiz.cli import app
from quiz.progress import stats
from quiz.progress.records import Review

DECK = str(Path(__file__).parent / "data" / "practice.yaml")
NOW = "2026-03-02T09:00:00+00:00"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
cli = CliRunner()


def review(card: str, rating: Rating, day: int, was_due: bool = True, right: bool | None = None):  # type: ignore[no-untyped-def]
    at = T0 + timedelta(days=day)
    return Review(card, rating, at, None, None, None, right, was_due, at, None)


def test_a_card_is_tested_once_recalled_when_due_and_untested_after_a_failure() -> None:
    first_sight = review("a", Rating.Easy, 0, was_due=False)
    assert stats.tested_cards([first_sight]) == set()
    recalled = review("a", Rating.Good, 8)
    assert stats.tested_cards([first_sight, recalled]) == {"a"}
    assert stats.tested_cards([first_sight, recalled, review("a", Rating.Again, 20)]) == set()
    wrong_prediction = review("a", Rating.Easy, 20, right=False)  # Easy, but it was not known
    assert stats.tested_cards([first_sight, recalled, wrong_prediction]) == set()
    assert stats.tested_cards([recalled, first_sight][::-1]) == {
        "a"
    }  # in time order, not list order


def test_one_easy_after_a_wrong_prediction_is_not_recall_or_mastery() -> None:
    assert cli.invoke(app, ["trust", DECK]).exit_code == 0
    env = {"SQLAQUIZ_NOW": NOW}
    # p-count only: predict 3 (it sends 2), then grade it Easy anyway
    session = cli.invoke(
        app, ["start", "--deck", DECK, "--tag", "counting"], input="3\n4\n", env=env
    )
    assert "✗ Not quite. You predicted 3" in session.stdout
    listed = cli.invoke(app, ["list", "--json", "--deck", DECK, "--tag", "counting"], env=env)
    (row,) = json.loads(listed.stdout)
    assert (row["state"], row["recall"]) == ("review", None)
    assert row["retrievability"] == 1.0  # FSRS's own estimate, kept apart in the JSON
    table = cli.invoke(app, ["list", "--deck", DECK, "--tag", "counting"], env=env).stdout
    assert re.search(r"p-count +medium +review .* — +0", table), table
    topics = cli.invoke(app, ["topics", "--json", "--deck", DECK], env=env)
    practice = next(t for t in json.loads(topics.stdout) if t["topic"] == "practice")
    assert practice["mastery"] == 0.0
    assert practice["by_difficulty"]["medium"]["mastery"] == 0.0
    assert practice["by_difficulty"]["easy"]["mastery"] is None  # nothing reviewed there

    # eight days later p-count is due, predicted right and recalled: now it counts, for one
    # card of the three
    later = {"SQLAQUIZ_NOW": "2026-03-10T09:00:00+00:00"}
    again = cli.invoke(
        app, ["start", "--deck", DECK, "--tag", "counting"], input="2\n3\n", env=later
    )
    assert "✓ Right. You predicted 2" in again.stdout
    (row,) = json.loads(
        cli.invoke(app, ["list", "--json", "--deck", DECK, "--tag", "counting"], env=later).stdout
    )
    assert row["recall"] == 1.0
    topics = cli.invoke(app, ["topics", "--json", "--deck", DECK], env=later)
    practice = next(t for t in json.loads(topics.stdout) if t["topic"] == "practice")
    assert practice["mastery"] == round(1 / 3, 4)
