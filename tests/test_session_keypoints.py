"""A typed answer in `start` is checked against the card's key points before the answer shows;
the coverage is kept in the review log."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quiz.cli import app
from quiz.progress.store import ReviewInput
from quiz.review.scheduler import Rating

DECKS = str(Path(__file__).parent / "data" / "interview")
NOW = "2026-03-02T09:00:00+00:00"
cli = CliRunner()


@pytest.fixture(autouse=True)
def trusted_decks(isolated_home: Path) -> None:
    assert cli.invoke(app, ["trust", DECKS]).exit_code == 0


def start(*args: str, input: str):  # type: ignore[no-untyped-def]
    return cli.invoke(
        app, ["start", "--deck", DECKS, *args], input=input, env={"SQLAQUIZ_NOW": NOW}
    )


def exported(tmp_path: Path) -> list[dict]:  # type: ignore[type-arg]
    out = tmp_path / "export.json"
    assert cli.invoke(app, ["export", str(out)]).exit_code == 0
    return json.loads(out.read_text())["reviews"]  # type: ignore[no-any-return]


def test_a_typed_answer_shows_its_key_points_before_the_answer(tmp_path: Path) -> None:
    result = start(
        "--topic",
        "kp-sessions",
        "--difficulty",
        "easy",
        input="it will FLUSH before a query\n2\nq\n",
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    block = out[out.index("Key points in your answer") : out.index("Answer")]
    assert [line.rstrip() for line in block.splitlines()[:5]] == [
        "Key points in your answer: 1 of 3 (matched by words, not meaning)",
        '  ✓ autoflush runs before a query  ("flush before query")',
        "  ✗ it sends the pending changes",
        "  ✗ no_autoflush turns it off for a block",
        "Suggested grade: 1 Again (yours to change: words can miss a right answer)",
    ]
    assert out.index("Key points in your answer") < out.index("Before a query (autoflush)")
    (review,) = exported(tmp_path)
    assert (review["card_id"], review["rating"], review["typed_answer"]) == (
        "s-autoflush",
        2,
        "it will FLUSH before a query",
    )
    assert (review["key_points_covered"], review["key_points_total"]) == (1, 3)


def test_every_point_covered_suggests_good() -> None:
    result = start(
        "--topic",
        "kp-sessions",
        "--difficulty",
        "medium",
        input="the identity_map gives the same object back\n3\n",
    )
    assert "Key points in your answer: 2 of 2" in result.stdout
    assert "Suggested grade: 3 Good" in result.stdout


def test_no_typed_answer_lists_the_points_and_keeps_no_coverage(tmp_path: Path) -> None:
    result = start("--topic", "kp-sessions", "--difficulty", "easy", input="\n3\nq\n")
    out = result.stdout
    assert "Key points in your answer" not in out
    listed = out[out.index("What an interviewer listens for:") :].splitlines()[:4]
    assert [line.rstrip() for line in listed] == [
        "What an interviewer listens for:",
        "  • autoflush runs before a query",
        "  • it sends the pending changes",
        "  • no_autoflush turns it off for a block",
    ]
    (review,) = exported(tmp_path)
    assert "key_points_covered" not in review and "key_points_total" not in review


def test_a_card_without_key_points_shows_none(tmp_path: Path) -> None:
    deck = Path(__file__).parent / "data" / "practice.yaml"
    assert cli.invoke(app, ["trust", str(deck)]).exit_code == 0
    result = cli.invoke(
        app,
        ["start", "--deck", str(deck), "--topic", "practice", "--difficulty", "easy"],
        input="identity map\n3\n",
        env={"SQLAQUIZ_NOW": NOW},
    )
    assert result.exit_code == 0
    assert "Key points" not in result.stdout and "listens for" not in result.stdout


def test_stats_shows_the_coverage_and_its_trend_across_sessions(
    seed_reviews: Callable[..., None],
) -> None:
    at = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
    seed_reviews(
        ReviewInput("s-autoflush", Rating.Hard, at, typed_answer="autoflush",
                    session_id="one", key_points_covered=1, key_points_total=3),
        ReviewInput("s-identity", Rating.Good, at, typed_answer="identity map",
                    session_id="one", key_points_covered=1, key_points_total=2),
        ReviewInput("l-nplus1", Rating.Good, at + timedelta(days=1), typed_answer="n+1",
                    session_id="two", key_points_covered=2, key_points_total=2),
    )  # fmt: skip
    result = cli.invoke(
        app, ["stats", "--deck", DECKS], env={"SQLAQUIZ_NOW": "2026-03-04T12:00:00+00:00"}
    )
    assert result.exit_code == 0, result.output
    assert "key points      4/7 covered in typed answers (57%)" in result.stdout
    assert "last sessions: 40% → 100%" in result.stdout
