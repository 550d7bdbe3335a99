"""Honest words: plurals, what `reset` forgets, "did you mean" for every name a user types,
and --help without parsing leftovers."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quiz.cli import app
from quiz.deck.names import close_matches
from quiz.progress.store import ReviewInput
from quiz.review.scheduler import Rating

DECK = str(Path(__file__).parent / "data" / "practice.yaml")
NOW = "2026-03-02T09:00:00+00:00"
DAY1 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
cli = CliRunner()


def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return cli.invoke(app, list(args), env={"SQLAQUIZ_NOW": NOW}, input=input)


def backups(home: Path) -> list[Path]:
    return sorted((home / "backups").glob("*.json")) if (home / "backups").exists() else []


def test_reset_of_one_review_is_singular_and_says_the_card_stays(
    seed_reviews: Callable[..., None], isolated_home: Path
) -> None:
    seed_reviews(ReviewInput("p-plain", Rating.Good, DAY1))
    asked = invoke("reset", "--card", "p-plain", "--deck", DECK, input="n\n")
    assert asked.exit_code == 1
    assert asked.stdout.startswith(
        "Forget your progress on card 'p-plain' (its schedule and 1 review)? "
        "The card stays in its deck; a backup is written first. [y/N]"
    )
    done = invoke("reset", "--card", "p-plain", "--deck", DECK, "--yes")
    assert done.exit_code == 0
    assert done.stdout.startswith(
        "forgot your progress on card 'p-plain': 1 review removed, the schedule reset "
        "(the card stays); backup at "
    )
    assert len(backups(isolated_home)) == 1
    assert "p-plain" in invoke("list", "--deck", DECK).stdout  # the card is still there


def test_a_reset_with_nothing_to_forget_says_so_and_writes_no_backup(
    seed_reviews: Callable[..., None], isolated_home: Path
) -> None:
    nothing = invoke("reset", "--yes")
    assert nothing.exit_code == 0
    assert nothing.stdout == "there is no progress yet: nothing to forget (no backup written)\n"
    seed_reviews(ReviewInput("p-count", Rating.Good, DAY1))
    card = invoke("reset", "--card", "p-plain", "--deck", DECK, "--yes")
    assert card.exit_code == 0
    assert card.stdout == (
        "card 'p-plain' has no progress yet: nothing to forget (no backup written)\n"
    )
    assert backups(isolated_home) == []
    everything = invoke("reset", input="y\n")
    assert "Forget ALL your progress (1 card scheduled, 1 review)?" in everything.stdout
    assert len(backups(isolated_home)) == 1


def test_counts_of_one_read_as_one(seed_reviews: Callable[..., None], tmp_path: Path) -> None:
    seed_reviews(
        ReviewInput("p-plain", Rating.Good, DAY1),
        ReviewInput("p-plain", Rating.Good, DAY1 + timedelta(days=1)),  # due again: counted
    )
    stats = cli.invoke(
        app, ["stats", "--deck", DECK], env={"SQLAQUIZ_NOW": "2026-03-04T09:00:00+00:00"}
    )
    assert re.search(r"true retention +100% of 1 due review\b", stats.stdout), stats.stdout
    out = tmp_path / "out.json"
    assert invoke("export", str(out)).exit_code == 0
    invoke("reset", "--yes")
    invoke("import", str(out))
    again = invoke("import", str(out))
    assert (
        again.stdout
        == f"imported 0 new reviews and 0 card states from {out} (2 reviews were already here)\n"
    )


def test_expectations_of_one_query_read_as_one() -> None:
    from quiz.deck.checks import _queries

    assert [_queries(1), _queries(2), _queries(0)] == ["1 query", "2 queries", "0 queries"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["list", "--topic", "Sesions"], "unknown topic 'Sesions' — did you mean sessions"),
        (["start", "--topic", "PRACTISE"], "unknown topic 'PRACTISE' — did you mean practice,"),
        (["topics", "--deck", DECK], None),
        (["list", "--tag", "Countng"], "no card has the tag 'countng' — did you mean counting,"),
        (
            ["start", "-d", "Hrad"],
            "unknown difficulty 'Hrad' — did you mean hard? Use one of: easy, medium, hard",
        ),
        (["show", "P-PLAIN"], "no card with id 'P-PLAIN' — did you mean p-plain"),
        (["run", "P-Count"], "no card with id 'P-Count' — did you mean p-count"),
        (
            ["reset", "--card", "P-RAISE", "--yes"],
            "no card with id 'P-RAISE' — did you mean p-raise",
        ),
        (["validate", "--card", "p-rais"], "no card with id 'p-rais' — did you mean p-raise"),
    ],
)
def test_every_command_says_did_you_mean_whatever_the_case(
    args: list[str], message: str | None
) -> None:
    result = invoke(*args, "--deck", DECK)
    if message is None:
        return
    assert result.exit_code != 0
    assert result.stderr.startswith("error: " + message), result.stderr


def test_topic_takes_the_name_topics_shows_and_topics_shows_the_slug() -> None:
    shown = invoke("topics", "--deck", DECK)
    assert "Practice (practice)" in shown.stdout
    for name in ("practice", "Practice", "  PRACTICE "):
        listed = invoke("list", "--topic", name, "--deck", DECK)
        assert listed.exit_code == 0 and listed.stdout.startswith("3 cards"), name


def test_close_matches_ignore_case_and_keep_the_spelling() -> None:
    assert close_matches("SESS-GET", ["sess-get", "Sess-Gets", "other"]) == [
        "sess-get",
        "Sess-Gets",
    ]
    assert close_matches("zzz", ["sess-get"]) == []


@pytest.mark.parametrize(
    "command",
    [
        "",
        "start",
        "run",
        "validate",
        "list",
        "topics",
        "show",
        "stats",
        "export",
        "import",
        "reset",
        "trust",
    ],
)
def test_help_shows_no_parsing_leftovers(command: str) -> None:
    result = cli.invoke(app, [*filter(None, [command]), "--help"])
    assert result.exit_code == 0
    text = result.stdout
    assert not re.search(r"\{[A-Z_.]+\}", text), text  # {CARD_ID}
    assert not re.search(r"<(str|path|int|float|list\[.*?\])>", text), text  # CARD_ID <str>
    assert "...]..." not in text and "......" not in text, text
