"""The bundled decks: every card's claims proven by running its example, and the deck's shape."""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy

from quiz.deck.cards import Card
from quiz.deck.checks import check
from quiz.deck.loader import load_library
from quiz.exercise.grading import proof_failures
from quiz.sandbox.client import Runner, RunResult

LIBRARY = load_library(check_syntax=True)
# the suite runs examples on SQLite; a card written for PostgreSQL alone is proven there
RUNNABLE = [c for c in LIBRARY.cards if c.example and c.runs_on("sqlite")]


def test_bundled_decks_have_no_problems() -> None:
    assert [str(p) for p in LIBRARY.problems] == []


# The deck is verified on SQLAlchemy 2.1, which needs Python >= 3.11. On Python 3.10 pip
# installs SQLAlchemy 2.0, where these cards' examples show 2.0's behaviour instead (measured
# with 2.0.58): `sqlaquiz run` then shows the difference; the suite skips only these.
SHOWS_2_1_ONLY = {
    "async-expire-on-commit-missing-greenlet",  # 2.0 raises MissingGreenlet unwrapped
    "async-lazy-load-selectinload",
    "pooling-pool-class-by-url",
    "query-pagination-offset-vs-keyset",
    "sql-distinct-on",  # postgresql.distinct_on() and Select.ext() are new in 2.1
    "sql-string-aggregation",  # FunctionElement.aggregate_order_by() is new in 2.1
}
SQLALCHEMY_2_1 = tuple(int(p) for p in sqlalchemy.__version__.split(".")[:2]) >= (2, 1)


@pytest.mark.parametrize("card", RUNNABLE, ids=lambda c: c.id)
def test_card_claims_hold(card: Card, bundled_results: dict[str, RunResult]) -> None:
    if card.id in SHOWS_2_1_ONLY and not SQLALCHEMY_2_1:
        pytest.skip(f"shows SQLAlchemy 2.1 behaviour; this is {sqlalchemy.__version__}")
    verdict = check(card, bundled_results[card.id])
    assert verdict.failures == []


POSTGRES_CARDS = [c for c in LIBRARY.cards if c.example and c.runs_on("postgresql")]


@pytest.fixture(scope="module")
def postgres_results(pg_runner: Runner) -> dict[str, RunResult]:
    """Every PostgreSQL card's example once, each on a fresh database, spread over the cores."""
    results = pg_runner.run_many([(c.example or "", f"{c.id}.py") for c in POSTGRES_CARDS])
    return dict(zip([c.id for c in POSTGRES_CARDS], results, strict=True))


@pytest.mark.parametrize("card", POSTGRES_CARDS, ids=lambda c: c.id)
def test_card_claims_hold_on_postgresql(card: Card, postgres_results: dict[str, RunResult]) -> None:
    if card.id in SHOWS_2_1_ONLY and not SQLALCHEMY_2_1:
        pytest.skip(f"shows SQLAlchemy 2.1 behaviour; this is {sqlalchemy.__version__}")
    result = postgres_results[card.id]
    assert result.database == "postgresql"
    assert check(card, result).failures == []


EXERCISES = [c for c in LIBRARY.cards if c.exercise is not None]


def _starters(runner: Runner, cards: list[Card]) -> dict[str, RunResult]:
    runs = runner.run_many(
        [(c.exercise.starter, f"{c.id}-starter.py") for c in cards if c.exercise]
    )
    return dict(zip([c.id for c in cards], runs, strict=True))


@pytest.fixture(scope="module")
def sqlite_starters(runner: Runner) -> dict[str, RunResult]:
    return _starters(runner, [c for c in EXERCISES if c.runs_on("sqlite")])


@pytest.fixture(scope="module")
def postgres_starters(pg_runner: Runner) -> dict[str, RunResult]:
    return _starters(pg_runner, [c for c in EXERCISES if c.runs_on("postgresql")])


@pytest.mark.parametrize("card", [c for c in EXERCISES if c.runs_on("sqlite")], ids=lambda c: c.id)
def test_exercise_reference_passes_and_starter_fails(
    card: Card, bundled_results: dict[str, RunResult], sqlite_starters: dict[str, RunResult]
) -> None:
    assert card.exercise is not None
    reference, starter = bundled_results[card.id], sqlite_starters[card.id]
    assert proof_failures(card.exercise, reference, starter) == []


@pytest.mark.parametrize(
    "card", [c for c in EXERCISES if c.runs_on("postgresql")], ids=lambda c: c.id
)
def test_exercise_reference_passes_and_starter_fails_on_postgresql(
    card: Card,
    postgres_results: dict[str, RunResult],
    postgres_starters: dict[str, RunResult],
) -> None:
    assert card.exercise is not None
    reference, starter = postgres_results[card.id], postgres_starters[card.id]
    assert (reference.database, starter.database) == ("postgresql", "postgresql")
    assert proof_failures(card.exercise, reference, starter) == []


@pytest.mark.parametrize("card", [c for c in EXERCISES if c.runs_on("sqlite")], ids=lambda c: c.id)
def test_an_exercises_first_screen_fits_80_by_24(
    card: Card, sqlite_starters: dict[str, RunResult]
) -> None:
    """The task, the file's path, every check of the starter's run and the keys, in a terminal
    of 80x24 (one line left for the prompt)."""
    import io
    from pathlib import Path

    from rich.console import Console

    from quiz.exercise.grading import grade
    from quiz.ui import exercise_view as view

    assert card.exercise is not None
    out = io.StringIO()
    console = Console(file=out, width=80, color_system=None)
    path = Path.home() / ".local/share/sqlaquiz/exercises" / f"{card.id}.py"
    result = sqlite_starters[card.id]
    console.print(view.intro(card, path, "sqlite"))
    console.print(view.report(grade(card.exercise, result), result, 1))
    console.print(view.keys(len(card.exercise.hints)))
    assert out.getvalue().count("\n") <= 23, out.getvalue()


def test_exercise_targets() -> None:
    """Issue 16: at least 25 exercises across the topics, each with hints, a TODO in its
    starter, 2 to 5 key points and claims about its reference solution; nearly all of them
    proven on both databases."""
    assert len(EXERCISES) >= 25
    assert len({c.topic for c in EXERCISES}) >= 8
    for card in EXERCISES:
        assert card.exercise is not None
        assert "exercise" in card.tags, card.id
        assert card.exercise.hints, card.id
        assert "TODO" in card.exercise.starter, card.id
        assert 2 <= len(card.key_points) <= 5, card.id
        assert card.expect is not None and _claims_counts_or_raises(card), card.id
    assert sum(1 for c in EXERCISES if set(c.databases) == {"sqlite", "postgresql"}) >= 24


def test_deck_targets() -> None:
    cards = LIBRARY.cards
    assert len(cards) >= 45
    assert len({c.topic for c in cards}) >= 9
    levels = Counter(c.difficulty for c in cards)
    for level in ("easy", "medium", "hard"):
        assert levels[level] / len(cards) >= 0.20, levels
    checked = [c for c in cards if c.example and c.expect and _claims_counts_or_raises(c)]
    assert len(checked) / len(cards) >= 0.90
    assert sum(1 for c in cards if c.challenge) >= 15
    # issue 12: at least 40 cards whose expectations are checked on PostgreSQL too
    assert sum(1 for c in POSTGRES_CARDS if c.expect) >= 40


def _claims_counts_or_raises(card: Card) -> bool:
    """On every database it lists, the card claims query counts or an exception (its own
    block merged over the common one: a per-database `raises` counts)."""
    for database in card.databases:
        expect = card.expect_for(database)
        if expect.queries is None and not expect.cells and expect.raises is None:
            return False
    return True


@pytest.mark.parametrize("card", LIBRARY.cards, ids=lambda c: c.id)
def test_answer_ends_with_a_rule_of_thumb(card: Card) -> None:
    last_paragraph = card.answer.strip().split("\n\n")[-1]
    assert last_paragraph.startswith("**Rule of thumb:**"), card.id
