"""What a session shows, as renderables: drawn here without a session or a terminal."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

from rich.console import Console, RenderableType

from quiz.review.queue import Tally
from quiz.review.scheduler import Rating
from quiz.ui import session_views as views

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def shown(renderable: RenderableType) -> str:
    out = io.StringIO()
    Console(file=out, width=80).print(renderable)
    return out.getvalue()


def test_the_keys_show_each_interval_or_say_cram() -> None:
    intervals = {
        Rating.Again: timedelta(minutes=1),
        Rating.Hard: timedelta(minutes=5, seconds=30),
        Rating.Good: timedelta(minutes=10),
        Rating.Easy: timedelta(days=8),
    }
    assert views.keys_prompt(intervals, has_example=True) == (
        "[1] Again 1m  [2] Hard 6m  [3] Good 10m  [4] Easy 8d\n"
        "r run · e edit · s skip · u undo · q quit · ? help > "
    )
    assert views.keys_prompt(None, has_example=False) == (
        "[1] Again  [2] Hard  [3] Good  [4] Easy   (cram: not saved)\n"
        "s skip · u undo · q quit · ? help > "
    )


def test_saved_says_when_and_whether_the_card_comes_back() -> None:
    assert shown(views.saved(timedelta(days=2), False)) == "saved — next review in 2d\n"
    assert shown(views.saved(timedelta(minutes=1), True)) == (
        "saved — next review in 1m (in this session too, if it is still going then)\n"
    )


def test_nothing_due_and_no_match() -> None:
    assert shown(views.nothing_due(None, 0, NOW)) == "No cards match these filters.\n"
    text = shown(views.nothing_due(None, 4, NOW))
    assert text == (
        "Nothing is due right now.\n"
        "4 new cards wait, but today's new-card limit is reached (--new N allows more).\n"
        "Use --cram to practise these cards anyway (nothing is scheduled).\n"
    )


def test_the_summary_counts_what_happened() -> None:
    tally = Tally(reviewed=4, again=1, predictions=2, predictions_right=1, skipped=1, started=NOW)
    tally.ended = NOW + timedelta(minutes=3, seconds=7)
    lines = [line.strip("│ ") for line in shown(views.summary(tally, None, cram=False)).split("\n")]
    assert [line for line in lines if line and not line.startswith(("╭", "╰"))] == [
        "reviewed           4",
        "again rate         25%",
        "predictions right  1/2",
        "skipped            1",
        "time               3m 07s",
    ]
