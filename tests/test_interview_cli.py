"""`sqlaquiz interview` driven through the CLI with piped input and a frozen clock."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
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


def interview(*args: str, input: str, now: str = NOW):  # type: ignore[no-untyped-def]
    return cli.invoke(
        app, ["interview", "--deck", DECKS, *args], input=input, env={"SQLAQUIZ_NOW": now}
    )


def kept() -> list[dict]:  # type: ignore[type-arg]
    result = cli.invoke(app, ["export", "-"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout).get("interviews", [])  # type: ignore[no-any-return]


# kp-loading in 5 minutes: its open question (3 min), then its prediction (2 min)
LOADING = ("--topic", "kp-loading", "--minutes", "5")


def test_an_interview_then_its_scorecard_and_model_answers() -> None:
    result = interview(*LOADING, input="it is the n+1 problem\nn\n\n")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "2 questions in 5 minutes: 1 open question, 1 prediction." in out
    assert "Question 1/2 · open question · about 3 min · ⏱ 5:00 left" in out
    # nothing is judged before the scorecard
    scorecard = out.index("scorecard")
    for verdict in ("missed:", "✗ said n", "One query per row: the N+1"):
        assert out.index(verdict) > scorecard
    lines = [line.strip("│ ").rstrip() for line in out[scorecard:].splitlines()]
    for expected in (
        "questions    2 of 2 (every question asked)",
        "key points   1/2 (50%)  (matched by words, not meaning)",
        "predictions  0/1 (0%)",
        "1. l-nplus1  0:00  1/2 key points",
        "missed: eager loading fixes it",
        "2. l-raise  0:00  ✗ said n; it raised",
        "Weakest: KP Loading (33%)",
    ):
        assert expected in lines, expected
    assert "One query per row: the N+1 problem." in out  # the model answer
    (saved,) = kept()
    assert {k: saved[k] for k in ("minutes", "questions", "key_points_covered")} == {
        "minutes": 5,
        "questions": 2,
        "key_points_covered": 1,
    }
    assert (saved["predictions_right"], saved["predictions_total"]) == (0, 1)
    assert json.loads(saved["scorecard"])["weakest"] == ["kp-loading"]


def test_json_prints_the_scorecard_alone_on_stdout() -> None:
    result = interview(*LOADING, "--json", input="n+1 and selectinload\ny\n")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["key_points"] == {"got": 2, "out_of": 2, "rate": 1.0}
    assert data["predictions"] == {"got": 1, "out_of": 1, "rate": 1.0}
    assert data["weakest"] == [] and data["brought_forward"] == []
    assert [q["card"] for q in data["questions"]] == ["l-nplus1", "l-raise"]
    assert "Question 1/2" in result.stderr


def test_markdown_writes_the_scorecard_to_share(tmp_path: Path) -> None:
    out = tmp_path / "interview.md"
    result = interview(*LOADING, "--markdown", str(out), input="one query per row\ny\n\n")
    assert result.exit_code == 0, result.output
    assert f"scorecard written to {out}" in result.stdout
    text = out.read_text()
    assert text.startswith("# Mock interview, 2026-03-02 09:00 UTC\n")
    for expected in (
        "| KP Loading | 1/2 (50%) | 1/1 (100%) | — | 0:00 |",
        "Your answer: one query per row",
        "- [x] the N+1 problem, one query per row\n- [ ] eager loading fixes it",
        "~~~python\nprint(1 / 0)\n~~~",
        "Your prediction: ✓ said y; it raised",
        "> Yes, ZeroDivisionError.",
    ):
        assert expected in text, expected


def test_the_weakest_topics_cards_come_forward_if_the_learner_agrees(
    seed_reviews: Callable[..., None],
) -> None:
    at = datetime.fromisoformat(NOW) - timedelta(days=1)
    seed_reviews(
        ReviewInput("l-nplus1", Rating.Easy, at), ReviewInput("s-identity", Rating.Easy, at)
    )

    def due() -> dict[str, str]:
        listed = cli.invoke(app, ["list", "--json", "--deck", DECKS], env={"SQLAQUIZ_NOW": NOW})
        return {
            r["id"]: r["due"]
            for r in json.loads(listed.stdout)
            if r["id"] in ("l-nplus1", "s-identity")
        }

    before = due()
    assert all(d > NOW for d in before.values())
    result = interview(*LOADING, input="no idea\nn\ny\n")
    assert "Bring the cards of KP Loading forward" in result.stdout
    assert "1 card due now: `sqlaquiz start` asks them first." in result.stdout
    assert due() == {"l-nplus1": NOW, "s-identity": before["s-identity"]}


def test_saying_no_moves_nothing(seed_reviews: Callable[..., None]) -> None:
    at = datetime.fromisoformat(NOW) - timedelta(days=1)
    seed_reviews(ReviewInput("l-nplus1", Rating.Easy, at))
    result = interview(*LOADING, input="no idea\nn\n\n")
    assert result.exit_code == 0
    assert "due now" not in result.stdout
    state = cli.invoke(app, ["list", "--json", "--deck", DECKS], env={"SQLAQUIZ_NOW": NOW})
    (row,) = [r for r in json.loads(state.stdout) if r["id"] == "l-nplus1"]
    assert row["due"] > NOW


def test_interviews_show_a_trend_in_the_scorecard_and_in_stats() -> None:
    interview(*LOADING, input="no idea\nn\n\n")
    later = "2026-03-03T09:00:00+00:00"
    result = interview(*LOADING, input="n+1, selectinload\ny\n", now=later)
    assert "Your last 2 interviews: key points 0% → 100% · predictions 0% → 100%" in result.stdout
    stats = cli.invoke(app, ["stats", "--deck", DECKS], env={"SQLAQUIZ_NOW": later})
    assert "interviews" in stats.stdout and "key points 0% → 100% (last 2)" in stats.stdout
    data = json.loads(cli.invoke(app, ["stats", "--json"], env={"SQLAQUIZ_NOW": later}).stdout)
    assert [i["key_points"]["rate"] for i in data["interviews"]] == [0.0, 1.0]


def test_an_import_says_how_many_interviews_it_added(tmp_path: Path, isolated_home: Path) -> None:
    interview(*LOADING, input="no idea\nn\n\n")
    out = tmp_path / "out.json"
    assert cli.invoke(app, ["export", str(out)]).exit_code == 0
    assert cli.invoke(app, ["reset", "--yes"]).exit_code == 0
    assert kept() == []
    result = cli.invoke(app, ["import", str(out)])
    assert result.stdout == (
        f"imported 0 new reviews and 0 card states from {out}; 1 mock interview\n"
    )
    assert len(kept()) == 1


def test_q_ends_early_and_the_interview_is_still_kept() -> None:
    result = interview(*LOADING, input="q\n")
    assert result.exit_code == 0
    assert "questions    0 of 2 (ended early)" in result.stdout
    assert kept()[0]["questions"] == 0


def test_no_card_to_ask_is_one_line_and_exit_2() -> None:
    result = interview("--topic", "kp-sessions", "--difficulty", "hard", input="")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: nothing to ask: of the 0 cards these filters select, none has key points "
        "or a challenge that runs here"
    )


def test_a_markdown_path_that_exists_is_refused_before_asking(tmp_path: Path) -> None:
    result = interview(*LOADING, "--markdown", str(tmp_path), input="")
    assert result.exit_code == 2
    assert result.stderr == f"error: --markdown {tmp_path}: is a folder; give a new file name\n"
    mine = tmp_path / "notes.md"
    mine.write_text("my notes\n")
    result = interview(*LOADING, "--markdown", str(mine), input="")
    assert result.exit_code == 2
    assert result.stderr == f"error: --markdown {mine}: already exists; give a new file name\n"
    assert mine.read_text() == "my notes\n"
    assert "Question" not in result.stdout
    assert kept() == []
