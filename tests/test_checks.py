"""Does a run hold up a card's claims, on the database it was made for?"""

from __future__ import annotations

from pathlib import Path

import pytest

from quiz.deck.cards import Card, Challenge, DatabaseExpect, Expect
from quiz.deck.checks import challenge_truth, check
from quiz.sandbox.protocol import CellResult, ExampleError, RunResult, Statement


def card(**fields: object) -> Card:
    base: dict[str, object] = {
        "id": "demo",
        "difficulty": "easy",
        "databases": ("sqlite", "postgresql"),
        "question": "Q?",
        "answer": "A.",
        "example": "# %% setup\n# %% load\n",
        "expect": Expect(
            cells={"load": 2},
            stdout=("loaded",),
            raises="KeyError",
            postgresql=DatabaseExpect(cells={"load": 1}, stdout=("batched",), raises=None),
        ),
        "challenge": Challenge("queries", "How many?", {"sqlite": 2, "postgresql": 1}, "load"),
        "topic": "demo",
        "topic_name": "Demo",
        "source": Path("deck.yaml"),
        "line": 5,
    }
    return Card(**{**base, **fields})  # type: ignore[arg-type]


def run(
    database: str,
    load_queries: int,
    dialect: str | None,
    stdout: str = "loaded",
    error: ExampleError | None = None,
) -> RunResult:
    statements = [Statement(n, "INSERT ...", [], 0.1, dialect=dialect) for n in range(load_queries)]
    cells = [
        CellResult("setup", 1, 0, [], "", "", [], 0.0),
        CellResult("load", 2, load_queries, statements, stdout, "", [], 0.0, error=error),
    ]
    return RunResult(cells, True, False, None, 0, 0.1, database)


KEY_ERROR = ExampleError("KeyError", "KeyError", "'x'", 3)


def test_each_database_is_held_to_its_own_claims() -> None:
    assert check(card(), run("sqlite", 2, "sqlite", error=KEY_ERROR)).failures == []
    assert check(card(), run("postgresql", 1, "postgresql", "loaded batched")).failures == []


def test_a_run_that_breaks_the_postgresql_claims() -> None:
    result = run("postgresql", 2, "postgresql", error=KEY_ERROR)
    assert check(card(), result).failures == [
        "unexpected KeyError at line 3: 'x'",
        "cell 'load': expected 1 query, ran 2",
        "output does not contain 'batched'",
        "challenge answer is 1, but the run says 2",
    ]


def test_the_database_defaults_to_the_one_the_run_was_made_for() -> None:
    result = run("postgresql", 1, "postgresql", "loaded batched")
    assert check(card(), result).failures == []
    assert check(card(), result, "sqlite").failures == [
        "the example ignored the database it was given (it ran on PostgreSQL)",
        "expected KeyError to be raised, but nothing was",
        "cell 'load': expected 2 queries, ran 1",
        "challenge answer is 2, but the run says 1",
    ]


def test_a_postgresql_run_that_ran_on_sqlite_fails() -> None:
    result = run("postgresql", 1, "sqlite", "loaded batched")
    assert check(card(), result).failures == [
        "the example ignored the database it was given (it ran on SQLite)"
    ]


def test_statements_without_a_dialect_are_not_judged() -> None:
    assert check(card(), run("postgresql", 1, None, "loaded batched")).failures == []


def test_a_run_on_a_database_the_card_does_not_list() -> None:
    sqlite_only = card(databases=("sqlite",), expect=None, challenge=None)
    assert check(sqlite_only, run("postgresql", 1, "postgresql")).failures == [
        "the card does not run on postgresql: databases is [sqlite]"
    ]


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_the_challenge_truth_comes_from_the_run(database: str) -> None:
    assert challenge_truth(card(), run(database, 7, database)) == 7
    raises = card(challenge=Challenge("raises", "Does it raise?", True))
    assert challenge_truth(raises, run(database, 0, database, error=KEY_ERROR)) is True
    assert challenge_truth(raises, run(database, 0, database)) is False
