"""`list --search` and `list --question`: finding cards by text, within 80 columns."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from quiz.cli import app

DECK = str(Path(__file__).parent / "data" / "practice.yaml")
cli = CliRunner()


def listed(*args: str, columns: int = 80):  # type: ignore[no-untyped-def]
    return cli.invoke(
        app,
        ["list", "--deck", DECK, *args],
        env={"COLUMNS": str(columns), "SQLAQUIZ_NOW": "2026-03-02T09:00:00+00:00"},
    )


def test_search_finds_the_text_in_question_answer_tags_and_code() -> None:
    result = listed("--topic", "practice", "--search", "SELECT 2")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[2:] == [
        "p-count  medium  new    —         —       0",
        '    code:7  conn.execute(text("select 2"))',
    ]
    answer = listed("--topic", "practice", "--search", "identity map")
    assert answer.stdout.splitlines()[2:] == [
        "p-plain  easy   new    —         —       0",
        "    answer:1  The identity map.",
    ]
    tag = listed("--topic", "practice", "--search", "#count")
    assert tag.stdout.splitlines()[3] == "    tags  #counting"
    question = listed("--topic", "practice", "--search", "dividing")
    assert question.stdout.splitlines()[3] == "    question:1  Does dividing by zero raise?"


def test_search_json_carries_every_matching_line() -> None:
    result = listed("--topic", "practice", "--search", "conn.execute", "--json")
    (row,) = json.loads(result.stdout)
    assert row["id"] == "p-count"
    assert row["matches"] == [
        {"field": "code", "line": 6, "text": '    conn.execute(text("select 1"))'},
        {"field": "code", "line": 7, "text": '    conn.execute(text("select 2"))'},
    ]


def test_search_without_a_match_and_without_text() -> None:
    none = listed("--search", "no such text anywhere")
    assert (none.exit_code, none.stdout) == (0, "No cards match.\n")
    empty = listed("--search", " ")
    assert empty.exit_code == 2
    assert empty.stderr == "error: --search needs some text to look for\n"


def test_question_shows_each_cards_question() -> None:
    result = listed("--topic", "practice", "--question")
    assert result.stdout.splitlines()[2:4] == [
        "p-plain  easy    new    —         —       0",
        "    question  What does `Session.get()` look at before it queries?",
    ]
    data = json.loads(listed("--topic", "practice", "--question", "--json").stdout)
    assert data[2]["question"] == "Does dividing by zero raise?"


def test_a_broad_search_of_the_bundled_decks_fits_80_columns() -> None:
    result = listed("--search", "session", "--question")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) > 100
    assert max(len(line) for line in lines) <= 80
    long_lines = [line for line in lines if line.startswith("    ") and line.endswith("…")]
    assert long_lines  # long lines are cut, not wrapped


def test_suspended_and_leeches_filters() -> None:
    assert cli.invoke(app, ["suspend", "p-raise", "--deck", DECK]).exit_code == 0
    held = listed("--topic", "practice", "--suspended")
    assert [line.split()[0] for line in held.stdout.splitlines()[2:]] == ["p-raise"]
    assert listed("--topic", "practice", "--leeches").stdout == "No cards match.\n"
