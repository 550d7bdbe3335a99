"""Exercise cards in `sqlaquiz start`: worked on in the workspace file, then graded with a
suggested grade the learner confirms; nothing scheduled in --cram."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quiz.cli import app
from quiz.deck.loader import load_deck

DECK = Path(__file__).parent / "data" / "exercise.yaml"
NOW = "2026-03-02T09:00:00+00:00"
cli = CliRunner()


@pytest.fixture(autouse=True)
def trusted_deck(isolated_home: Path) -> None:
    assert cli.invoke(app, ["trust", str(DECK)]).exit_code == 0


def start(*args: str, input: str):  # type: ignore[no-untyped-def]
    return cli.invoke(
        app, ["start", "--deck", str(DECK), "--topic", "drills", *args], input=input,
        env={"SQLAQUIZ_NOW": NOW},
    )  # fmt: skip


def reviews(tmp_path: Path) -> list[tuple[str, int]]:
    out = tmp_path / "export.json"
    assert cli.invoke(app, ["export", str(out)]).exit_code == 0
    return [(r["card_id"], r["rating"]) for r in json.loads(out.read_text())["reviews"]]


def test_give_up_suggests_again_and_the_grade_is_saved(tmp_path: Path, isolated_home: Path) -> None:
    result = start(input="g\n1\n")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "run 1: 2 of 3 checks pass" in out
    assert out.count('Make the "work" cell send one query') == 1  # the task is shown once
    assert "✗ cell 'work': at most 1 query — ran 3" in out
    assert "d-fewer-queries.py (reference solution)" in out
    assert "Exercise given up, no hints: suggested grade [1] Again" in out
    assert "[1] Again 1m  [2] Hard 6m  [3] Good 10m  [4] Easy 8d" in out
    assert reviews(tmp_path) == [("d-fewer-queries", 1)]
    assert (isolated_home / "exercises" / "d-fewer-queries.py").exists()


def test_a_passing_file_suggests_easy(tmp_path: Path, isolated_home: Path) -> None:
    (card,), _ = load_deck(DECK)
    folder = isolated_home / "exercises"
    folder.mkdir(parents=True)
    (folder / "d-fewer-queries.py").write_text(card.example or "", encoding="utf-8")
    result = start(input="4\n")
    assert result.exit_code == 0, result.output
    assert "run 1: 3 of 3 checks pass" in result.stdout
    assert "Exercise passed in 1 attempt, no hints: suggested grade [4] Easy" in result.stdout
    assert reviews(tmp_path) == [("d-fewer-queries", 4)]


def test_hints_then_leaving_it_unfinished(tmp_path: Path) -> None:
    result = start(input="h\nh\nh\nq\n2\n")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Hint 1 of 2" in out and "Hint 2 of 2" in out
    assert "no more hints: g shows the reference solution" in out
    assert "Left unfinished — your code stays in" in out
    assert reviews(tmp_path) == [("d-fewer-queries", 2)]


def test_cram_writes_no_review(tmp_path: Path) -> None:
    result = start("--cram", input="g\n1\n")
    assert result.exit_code == 0, result.output
    assert "suggested grade [1] Again" in result.stdout
    assert reviews(tmp_path) == []


def test_an_untrusted_exercise_shows_its_starter_not_its_solution(tmp_path: Path) -> None:
    assert cli.invoke(app, ["trust", "--revoke", str(DECK)]).exit_code == 0
    result = start(input="\n3\n")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "# TODO: one query" in out
    assert "select 1 + 2 + 3" not in out.split("Answer")[0]  # the solution stays hidden
    assert "not run: this deck is not trusted" in out
