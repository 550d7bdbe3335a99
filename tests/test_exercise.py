"""Exercises: the schema and its rules, deciding checks from a run, the proof validate asks for,
the suggested grade, the workspace file, and the watch loop driven without a terminal."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from rich.console import Console

from quiz.deck.cards import Card, Exercise, ExerciseCheck
from quiz.deck.loader import load_deck
from quiz.exercise.grading import budget, grade, label, passed, proof_failures
from quiz.exercise.loop import ExerciseLoop
from quiz.exercise.rating import Outcome, suggest_rating
from quiz.review.scheduler import Rating
from quiz.sandbox.client import Runner
from quiz.sandbox.protocol import CellResult, ExampleError, RunResult, Statement

# ------------------------------------------------------------------ grading


def lazy(n: int) -> Statement:
    return Statement(n, "SELECT books.id FROM books WHERE ? = books.author_id", [1], 0.1,
                     load="lazy", relationship="Author.books")  # fmt: skip


def result(
    report: list[Statement],
    stdout: str = "author3 3\n",
    error: ExampleError | None = None,
    database: str = "sqlite",
) -> RunResult:
    first = Statement(1, "SELECT authors.id FROM authors", [], 0.1)
    cells = [
        CellResult("setup", 1, 3, [first, first, first], "", "", [], 0.0),
        CellResult("report", 9, len(report), report, stdout, "", [], 0.0, error=error),
    ]
    return RunResult(cells, True, False, None, 0, 0.1, database)


N_PLUS_ONE = Exercise(
    starter="# %% setup\n# %% report\n",
    checks=(
        ExerciseCheck(cell="report", queries="<= 2"),
        ExerciseCheck(cell="report", no_lazy_load="Author.books"),
        ExerciseCheck(stdout="author3 3"),
    ),
)


def test_a_broken_budget_names_every_statement_of_the_cell() -> None:
    statements = [Statement(1, "SELECT authors.id FROM authors", [], 0.1), lazy(2), lazy(3)]
    checks = grade(N_PLUS_ONE, result(statements))
    assert [(c.label, c.passed, c.detail) for c in checks] == [
        ("runs without an exception", True, None),
        ("cell 'report': at most 2 queries", False, "ran 3"),
        ("cell 'report': no lazy load of Author.books", False, "2 lazy loads"),
        ("output contains 'author3 3'", True, None),
    ]
    assert [s.n for s in checks[1].statements] == [1, 2, 3]
    assert [s.n for s in checks[2].statements] == [2, 3]
    assert not passed(checks)


def test_a_run_within_budget_passes_every_check() -> None:
    statements = [Statement(4, "SELECT authors.id FROM authors", [], 0.1),
                  Statement(5, "SELECT books.id FROM books WHERE books.author_id IN (?)", [], 0.1,
                            load="selectin", relationship="Author.books")]  # fmt: skip
    checks = grade(N_PLUS_ONE, result(statements))
    assert passed(checks)
    assert checks[1].detail == "ran 2" and checks[1].statements == ()


def test_statements_not_sent_are_not_judged() -> None:
    unsent = Statement(None, "SELECT ... FOR UPDATE", [], 0.0, sent=False, failed=True)
    exercise = Exercise("x", (ExerciseCheck(sql="for  update"), ExerciseCheck(no_sql="offset")))
    checks = grade(exercise, result([unsent]))
    assert [(c.passed, c.detail) for c in checks[1:]] == [
        (False, "no statement sent has it"),
        (True, None),
    ]
    sent = Statement(7, "SELECT * FROM t\n  FOR UPDATE OFFSET 3", [], 0.1)
    checks = grade(exercise, result([sent]))
    assert [(c.label, c.passed, c.detail) for c in checks[1:]] == [
        ("a statement contains 'for  update'", True, None),  # spacing and case ignored
        ("no statement contains 'offset'", False, "1 sent"),
    ]
    assert checks[2].statements == (sent,)


def test_an_unexpected_exception_fails_the_first_check() -> None:
    error = ExampleError("MissingGreenlet", "sqlalchemy.exc.MissingGreenlet", "greenlet_spawn", 12)
    exercise = Exercise("x", (ExerciseCheck(not_raises="MissingGreenlet", label="no greenlet"),))
    checks = grade(exercise, result([], error=error))
    assert [(c.label, c.passed, c.detail) for c in checks] == [
        ("runs without an unexpected exception", False,
         "MissingGreenlet at line 12: greenlet_spawn"),
        ("no greenlet", False, "it was raised at line 12"),
    ]  # fmt: skip


def test_an_exception_a_check_asks_for_passes() -> None:
    error = ExampleError("StaleDataError", "sqlalchemy.orm.exc.StaleDataError", "0 rows", 20)
    exercise = Exercise("x", (ExerciseCheck(cell="report", raises="StaleDataError"),))
    checks = grade(exercise, result([], error=error))
    assert [(c.label, c.passed) for c in checks] == [
        ("runs to the end", True),
        ("cell 'report': raises StaleDataError", True),
    ]
    checks = grade(exercise, result([]))
    assert (checks[1].passed, checks[1].detail) == (False, "nothing raised")


def test_a_check_for_one_database_is_left_out_elsewhere() -> None:
    exercise = Exercise(
        "x", (ExerciseCheck(sql="FOR UPDATE", databases=("postgresql",)), ExerciseCheck(stdout="a"))
    )
    assert [c.label for c in grade(exercise, result([], database="sqlite"))] == [
        "runs without an exception",
        "output contains 'a'",
    ]
    assert len(grade(exercise, result([], database="postgresql"))) == 3


def test_a_cell_that_did_not_run_fails_its_check() -> None:
    exercise = Exercise("x", (ExerciseCheck(cell="later", queries=0),))
    checks = grade(exercise, result([]))
    assert (checks[1].label, checks[1].passed, checks[1].detail) == (
        "cell 'later': exactly 0 queries", False, "cell 'later' did not run",
    )  # fmt: skip


def test_a_crash_fails_the_run() -> None:
    crashed = RunResult.crashed("the example ran past its 10 s timeout")
    checks = grade(N_PLUS_ONE, crashed)
    assert (checks[0].label, checks[0].passed, checks[0].detail) == (
        "runs to the end", False, "the example ran past its 10 s timeout",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("spec", "parsed", "text"),
    [("<= 2", ("<=", 2), "at most 2 queries"), (" <3", ("<", 3), "fewer than 3 queries"),
     (">= 1", (">=", 1), "at least 1 query"), ("> 0", (">", 0), "more than 0 queries"),
     ("== 1", ("==", 1), "exactly 1 query"), (4, ("==", 4), "exactly 4 queries")],
)  # fmt: skip
def test_budgets(spec: str | int, parsed: tuple[str, int], text: str) -> None:
    assert budget(spec) == parsed
    assert label(ExerciseCheck(queries=spec)) == text


def test_proof_needs_the_reference_to_pass_and_the_starter_to_fail() -> None:
    good = [Statement(1, "SELECT authors.id FROM authors", [], 0.1)]
    bad = [*good, lazy(2), lazy(3)]
    assert proof_failures(N_PLUS_ONE, result(good), result(bad)) == []
    assert proof_failures(N_PLUS_ONE, result(bad), result(good)) == [
        "the reference solution fails: cell 'report': at most 2 queries (ran 3)",
        "the reference solution fails: cell 'report': no lazy load of Author.books (2 lazy loads)",
        "the starter already passes every check: nothing to fix",
    ]


# ------------------------------------------------------------------ rating


@pytest.mark.parametrize(
    ("outcome", "rating"),
    [(Outcome(True, 1, 0, 3), Rating.Easy), (Outcome(True, 0, 0, 3), Rating.Easy),
     (Outcome(True, 2, 0, 3), Rating.Good), (Outcome(True, 1, 1, 3), Rating.Good),
     (Outcome(True, 1, 2, 3), Rating.Hard), (Outcome(True, 6, 0, 3), Rating.Hard),
     (Outcome(True, 5, 1, 3), Rating.Good), (Outcome(False, 3, 3, 3, gave_up=True), Rating.Again),
     (Outcome(False, 3, 0, 3), None)],
)  # fmt: skip
def test_suggested_rating(outcome: Outcome, rating: Rating | None) -> None:
    assert suggest_rating(outcome) == rating


# ------------------------------------------------------------------ the deck format

DECK = """\
topic:
  slug: demo
  name: Demo
cards:
  - id: demo-exercise
    difficulty: easy
    tags: [exercise]
    databases: [sqlite, postgresql]
    question: Make it print two.
    answer: Print two.
    example: |
      # %% setup
      import os
      url = os.environ.get("SQLAQUIZ_DATABASE_URL", "sqlite://")
      # %% main
      print(2)
    exercise:
      starter: |
        # %% setup
        import os
        url = os.environ.get("SQLAQUIZ_DATABASE_URL", "sqlite://")
        # %% main
        print(1)  # TODO
      checks:
        - {cell: main, stdout: "2"}
      hints: [Change the number.]
    expect:
      stdout: ["2"]
"""


def test_an_exercise_card_loads_and_round_trips(deck_file) -> None:  # type: ignore[no-untyped-def]
    cards, problems = load_deck(deck_file(DECK))
    assert problems == []
    (card,) = cards
    assert card.exercise == Exercise(
        starter='# %% setup\nimport os\nurl = os.environ.get("SQLAQUIZ_DATABASE_URL", '
        '"sqlite://")\n# %% main\nprint(1)  # TODO\n',
        checks=(ExerciseCheck(stdout="2", cell="main"),),
        hints=("Change the number.",),
    )
    assert Card.from_dict(card.to_dict()) == card


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ('{cell: main, stdout: "2"}', None),
        ('{cell: main, stdout: "2", queries: 1}',
         "field 'exercise.checks.0': a check sets exactly one of queries, stdout, raises, "
         "not_raises, sql, no_sql, no_lazy_load; it sets queries, stdout"),
        ("{cell: main}", "field 'exercise.checks.0': a check sets exactly one of queries, stdout, "
         "raises, not_raises, sql, no_sql, no_lazy_load; it sets none"),
        ('{queries: "at most 2"}',
         "field 'exercise.checks.0.queries': a query budget reads like '<= 2', '>= 1' or '3'"),
        ("{queries: true}",
         "field 'exercise.checks.0.queries': a query budget reads like '<= 2', '>= 1' or '3'"),
        ('{cell: other, stdout: "2"}',
         "field 'exercise.checks.0.cell': no cell titled 'other' in the starter or the example; "
         "its cells are "
         "['setup', 'main']"),
        ('{stdout: "2", databases: [postgresql]}',
         "field 'exercise.checks': no check applies on sqlite"),
        ('{stdout: "2", databases: [mysql]}',
         "field 'exercise.checks.0.databases.0': input should be 'sqlite' or 'postgresql'"),
        ('{stdout: "2", colour: red}', "field 'exercise.checks.0.colour': unknown field"),
        ("{}", "field 'exercise.checks.0': a check sets exactly one of queries, stdout, "
         "raises, not_raises, sql, no_sql, no_lazy_load; it sets none"),
    ],
)  # fmt: skip
def test_exercise_rules(deck_file, change: str, message: str | None) -> None:  # type: ignore[no-untyped-def]
    path = deck_file(DECK.replace('{cell: main, stdout: "2"}', change))
    _, problems = load_deck(path)
    if message is None:
        assert problems == []
    else:
        assert [str(p).split(": ", 2)[2] for p in problems] == [message]
        assert str(problems[0]).startswith(f"{path}:")


def test_an_exercise_needs_a_check(deck_file) -> None:  # type: ignore[no-untyped-def]
    _, problems = load_deck(
        deck_file(
            DECK.replace('        - {cell: main, stdout: "2"}\n', "").replace(
                "checks:\n", "checks: []\n"
            )
        )
    )
    assert [(p.field, p.message) for p in problems] == [
        ("exercise.checks", "list at least one check")
    ]


def test_an_exercise_needs_its_reference_solution(deck_file) -> None:  # type: ignore[no-untyped-def]
    text = DECK.replace("    databases: [sqlite, postgresql]\n", "")
    start, end = text.index("    example: |"), text.index("    exercise:")
    text = text[:start] + text[end:]
    text = text.replace('    expect:\n      stdout: ["2"]\n', "")
    _, problems = load_deck(deck_file(text))
    assert [p.message for p in problems] == ["'exercise' needs an 'example' to run"]


def test_a_starter_for_postgresql_must_read_the_url(deck_file) -> None:  # type: ignore[no-untyped-def]
    text = DECK.replace(
        '        url = os.environ.get("SQLAQUIZ_DATABASE_URL", "sqlite://")\n',
        '        url = "sqlite://"\n',
    )
    _, problems = load_deck(deck_file(text))
    assert [p.message for p in problems] == [
        "the card lists postgresql, but its starter never reads SQLAQUIZ_DATABASE_URL or "
        "SQLAQUIZ_ASYNC_DATABASE_URL, so it cannot reach the database it is given",
        "a fixed 'sqlite://' URL is SQLite-only, but the card lists postgresql (starter line 3)",
    ]


def test_a_starter_with_a_syntax_error(deck_file) -> None:  # type: ignore[no-untyped-def]
    _, problems = load_deck(deck_file(DECK.replace("print(1)  # TODO", "print(1")))
    assert [(p.field, p.message) for p in problems] == [
        ("exercise.starter", "syntax error in starter line 5: '(' was never closed")
    ]


# ------------------------------------------------------------------ the watch loop


class Script:
    """Events for the loop: keys, and edits of the file (each followed by a quiet poll)."""

    def __init__(self, *steps: object) -> None:
        self.steps = list(steps)

    def wait(self, timeout: float) -> str | None:
        if not self.steps:
            raise EOFError
        step = self.steps.pop(0)
        if callable(step):
            step()
            return None
        return step  # type: ignore[return-value]


def bundled(card_id: str) -> Card:
    from quiz.deck.loader import load_library

    return load_library().get(card_id)


def loop_for(
    card: Card, path: Path, runner: Runner, events: Script
) -> tuple[ExerciseLoop, io.StringIO]:
    out = io.StringIO()
    console = Console(file=out, width=80, color_system=None)
    loop = ExerciseLoop(card, path, runner, console, events, sleep=lambda s: None)
    return loop, out


def test_a_save_runs_the_file_and_a_pass_ends_it(tmp_path: Path, runner: Runner) -> None:
    card = bundled("ex-report-n-plus-one")
    assert card.exercise is not None and card.example is not None
    path = tmp_path / "ex.py"
    path.write_text(card.exercise.starter, encoding="utf-8")
    solution = card.example

    def save() -> None:
        path.write_text(solution, encoding="utf-8")

    loop, out = loop_for(card, path, runner, Script("h", None, save))
    outcome = loop.start()
    assert outcome == Outcome(passed=True, attempts=1, hints_used=1, hints_total=3)
    text = out.getvalue()
    assert "run 1: 2 of 4 checks pass" in text
    assert "✗ cell 'report': at most 2 queries — ran 5" in text
    assert "[lazy Author.books] SELECT books.id" in text
    assert "Hint 1 of 3" in text
    assert "run 2: 4 of 4 checks pass" in text
    assert "run 3" not in text  # a quiet poll (None) with no save runs nothing
    assert text.rstrip().endswith("✓ Every check passes (1 attempt, 1 hint).")


def test_giving_up_shows_the_reference_and_a_diff(tmp_path: Path, runner: Runner) -> None:
    card = bundled("ex-report-n-plus-one")
    assert card.exercise is not None
    path = tmp_path / "ex.py"
    path.write_text(card.exercise.starter, encoding="utf-8")
    loop, out = loop_for(card, path, runner, Script("g"))
    outcome = loop.start()
    assert (outcome.gave_up, outcome.passed, outcome.attempts) == (True, False, 0)
    text = out.getvalue()
    assert "ex-report-n-plus-one.py (reference solution)" in text
    assert "-authors = session.scalars(select(Author).order_by(Author.id)).all()" in text
    assert "+    select(Author).options(selectinload(Author.books)).order_by(Author.id)" in text
    assert path.read_text(encoding="utf-8") == card.exercise.starter  # the learner's file stays


def test_the_end_of_input_leaves_without_a_verdict(tmp_path: Path, runner: Runner) -> None:
    card = bundled("ex-report-n-plus-one")
    assert card.exercise is not None
    path = tmp_path / "ex.py"
    path.write_text(card.exercise.starter + "\n# my note\n", encoding="utf-8")
    loop, out = loop_for(card, path, runner, Script("h", "h", "h", "h", "?"))
    outcome = loop.start()
    # the learner's own version counts as an attempt; every hint, then no more
    assert outcome == Outcome(passed=False, attempts=1, hints_used=3, hints_total=3)
    text = out.getvalue()
    assert "no more hints: g shows the reference solution" in text
    assert "Save your file to run it again." in text


def test_an_exception_is_told_in_one_line() -> None:
    message = "This Session's transaction has been rolled back\n[SQL: INSERT INTO users]"
    error = ExampleError("PendingRollbackError", "PendingRollbackError", message, 24)
    exercise = Exercise("x", (ExerciseCheck(not_raises="PendingRollbackError"),))
    checks = grade(exercise, result([], error=error))
    assert [c.detail for c in checks] == [
        "PendingRollbackError at line 24: This Session's transaction has been rolled back",
        "it was raised at line 24",
    ]


def test_an_editor_that_replaces_the_file_is_seen(tmp_path: Path, runner: Runner) -> None:
    """vim and others write a new file and rename it over the old one: a new inode."""
    card = bundled("ex-report-n-plus-one")
    assert card.exercise is not None and card.example is not None
    path = tmp_path / "ex.py"
    path.write_text(card.exercise.starter, encoding="utf-8")
    solution = card.example

    def replace() -> None:
        new = tmp_path / "ex.py.swp"
        new.write_text(solution, encoding="utf-8")
        os.replace(new, path)

    loop, out = loop_for(card, path, runner, Script(replace))
    assert loop.start().passed
    assert "run 2: 4 of 4 checks pass" in out.getvalue()


def test_a_file_still_being_written_runs_once_it_settles(tmp_path: Path, runner: Runner) -> None:
    card = bundled("ex-report-n-plus-one")
    assert card.exercise is not None and card.example is not None
    path = tmp_path / "ex.py"
    path.write_text(card.exercise.starter, encoding="utf-8")
    solution = card.example
    writes = [solution[:40], solution]  # the editor's first write is half the file

    def first_write() -> None:
        path.write_text(writes.pop(0), encoding="utf-8")

    def settle(seconds: float) -> None:
        if writes:  # while the loop waits for the file to settle, the second write lands
            path.write_text(writes.pop(0), encoding="utf-8")

    out = io.StringIO()
    console = Console(file=out, width=80, color_system=None)
    events = Script(first_write, None)
    outcome = ExerciseLoop(card, path, runner, console, events, sleep=settle).start()
    assert outcome.passed and outcome.attempts == 1
    text = out.getvalue()
    assert "run 2: 4 of 4 checks pass" in text
    assert "SyntaxError" not in text  # the half-written file never ran


def test_a_deleted_file_is_waited_for_and_an_unreadable_one_said(
    tmp_path: Path, runner: Runner
) -> None:
    card = bundled("ex-report-n-plus-one")
    assert card.exercise is not None
    path = tmp_path / "ex.py"
    path.write_text(card.exercise.starter, encoding="utf-8")
    loop, out = loop_for(
        card, path, runner,
        Script(path.unlink, None, lambda: path.write_bytes(b"\xff\xfe"), "r"),
    )  # fmt: skip
    outcome = loop.start()
    assert not outcome.finished
    text = out.getvalue()
    assert text.count("run 1:") == 1 and "run 2:" not in text  # missing, unreadable: no run
    assert f"✗ {path}: cannot read: 'utf-8' codec can't decode" in " ".join(text.split())
