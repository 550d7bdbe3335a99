"""Progress views, export / import and reset, read from the same store as `start`."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quiz.cli import app

DECK = str(Path(__file__).parent / "data" / "practice.yaml")
NOW = "2026-03-02T09:00:00+00:00"
cli = CliRunner()


def invoke(*args: str, now: str = NOW, input: str | None = None):  # type: ignore[no-untyped-def]
    return cli.invoke(app, list(args), env={"SQLAQUIZ_NOW": now}, input=input)


@pytest.fixture
def reviewed(seed_reviews: Callable[..., None]) -> None:
    """Day 1: three new cards, then all three again 15 minutes later; day 3: p-plain is due
    and graded Again. These are the grades of three real sessions (both predictions right),
    written straight through the store: sessions themselves are tested in test_session.py."""
    from quiz.progress.store import ReviewInput
    from quiz.review.scheduler import Rating

    day1 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    graded = []
    for at in (day1, day1 + timedelta(minutes=15)):
        graded += [
            ReviewInput("p-plain", Rating.Good, at),
            ReviewInput("p-count", Rating.Good, at, prediction="2", prediction_right=True),
            ReviewInput("p-raise", Rating.Good, at, prediction="y", prediction_right=True),
        ]
    graded.append(ReviewInput("p-plain", Rating.Again, day1 + timedelta(days=2, hours=1)))
    seed_reviews(*graded)


def stats_json(now: str = "2026-03-04T12:00:00+00:00") -> dict:  # type: ignore[type-arg]
    r = invoke("stats", "--json", "--deck", DECK, now=now)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def test_views_have_an_empty_state() -> None:
    stats = invoke("stats")
    assert stats.exit_code == 0
    assert stats.stdout.startswith("No reviews yet. Run sqlaquiz start to begin")
    data = stats_json()
    assert (data["reviews_total"], data["streak_days"], data["retention"], data["due_today"]) == (
        0,
        0,
        None,
        0,
    )
    topics = invoke("topics", "--json")
    assert topics.exit_code == 0
    assert all(t["new"] == t["cards"] for t in json.loads(topics.stdout))


@pytest.mark.usefixtures("reviewed")
def test_stats_after_reviews() -> None:
    data = stats_json()
    assert data["reviews_total"] == 7
    # reviews on 03-02 and 03-04 only: 03-03 breaks the streak
    assert data["streak_days"] == 1
    # reviews of due cards: the three at 09:15 (Good) and p-plain on 03-04 (Again)
    assert (data["retention"], data["retention_reviews"]) == (0.75, 4)
    assert data["hardest"] == [{"id": "p-plain", "lapses": 1, "again": 1}]
    assert data["predictions"] == {"total": 4, "right": 4, "accuracy": 1.0}
    # p-plain relearning (10 minutes after the Again) and the two cards due 2 days after 09:15
    assert data["due_today"] == 3
    assert sum(d["reviews"] for d in data["reviews_per_day"]) == 7
    shown = invoke("stats", "--deck", DECK, now="2026-03-04T12:00:00+00:00").stdout
    assert "true retention  75% of 4 due reviews" in shown
    assert "reviews per day, last 30 days" in shown


@pytest.mark.usefixtures("reviewed")
def test_list_and_topics_show_state() -> None:
    rows = {
        r["id"]: r
        for r in json.loads(invoke("list", "--json", "--deck", DECK, "--topic", "practice").stdout)
    }
    assert {k: (v["state"], v["lapses"]) for k, v in rows.items()} == {
        "p-plain": ("relearning", 1),
        "p-count": ("review", 0),
        "p-raise": ("review", 0),
    }
    due_now = ["list", "--json", "--due", "--deck", DECK, "--topic", "practice"]
    due = invoke(*due_now, now="2026-03-04T12:00:00+00:00")
    assert [r["id"] for r in json.loads(due.stdout)] == ["p-plain", "p-count", "p-raise"]
    not_yet = invoke(*due_now, now="2026-03-03T12:00:00+00:00")
    assert json.loads(not_yet.stdout) == []
    topics = json.loads(invoke("topics", "--json", "--deck", DECK).stdout)
    practice = next(t for t in topics if t["topic"] == "practice")
    assert (practice["cards"], practice["new"], practice["learning"], practice["review"]) == (
        3,
        0,
        1,
        2,
    )
    assert practice["by_difficulty"]["easy"]["learning"] == 1


@pytest.mark.usefixtures("reviewed")
def test_export_then_import_into_an_empty_home_gives_identical_stats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = stats_json()
    out = tmp_path / "progress.json"
    assert invoke("export", str(out)).exit_code == 0
    monkeypatch.setenv("SQLAQUIZ_HOME", str(tmp_path / "fresh"))
    first = invoke("import", str(out))
    assert first.exit_code == 0
    assert first.stdout == f"imported 7 new reviews and 3 card states from {out}\n"
    assert stats_json() == before
    second = invoke("import", str(out))
    assert second.stdout == (
        f"imported 0 new reviews and 0 card states from {out} (7 reviews were already here)\n"
    )
    assert stats_json() == before


def test_export_never_overwrites_without_force(tmp_path: Path) -> None:
    out = tmp_path / "mine.json"
    out.write_text("precious")
    r = invoke("export", str(out))
    assert r.exit_code == 6
    assert r.stderr == f"error: {out} already exists (use --force to overwrite it)\n"
    assert out.read_text() == "precious"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "{not json",
            "{path}:1: not valid JSON: Expecting property name enclosed in double quotes",
        ),
        ('{"hello": 1}', "{path}: not a sqlaquiz progress export"),
        (
            '{"format": "sqlaquiz-progress", "version": 9, "cards": [], "reviews": []}',
            "{path}: export format version 9 is not supported"
            " (this sqlaquiz reads versions 1, 2 and 3)",
        ),
        (
            '{"format": "sqlaquiz-progress", "version": 1, "cards": [], '
            '"reviews": [{"card_id": 1}]}',
            "{path}: field 'reviews.0.card_id': input should be a valid string",
        ),
    ],
)
@pytest.mark.usefixtures("reviewed")
def test_bad_import_file_changes_nothing(tmp_path: Path, content: str, message: str) -> None:
    before = stats_json()
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    r = invoke("import", str(bad))
    assert r.exit_code == 6
    assert r.stderr == "error: " + message.format(path=bad) + "\n"
    assert stats_json() == before


@pytest.mark.usefixtures("reviewed")
def test_reset_asks_writes_a_backup_and_deletes(isolated_home: Path) -> None:
    declined = invoke("reset", input="n\n")
    assert declined.exit_code == 1
    assert stats_json()["reviews_total"] == 7
    one = invoke("reset", "--card", "p-plain", "--yes")
    assert one.exit_code == 0
    assert (
        "forgot your progress on card 'p-plain': 3 reviews removed, the schedule reset "
        "(the card stays); backup at "
    ) in one.stdout
    backups = list((isolated_home / "backups").glob("progress-*.json"))
    assert len(backups) == 1
    assert len(json.loads(backups[0].read_text())["reviews"]) == 7
    everything = invoke("reset", input="y\n")
    assert everything.exit_code == 0
    assert stats_json()["reviews_total"] == 0


def test_show_card_and_answer() -> None:
    r = invoke("show", "p-count", "--deck", DECK)
    assert r.exit_code == 0
    assert "How many statements does the second cell send?" in r.stdout
    assert "Predict (a number of queries) before it runs" in r.stdout
    assert "Rule of thumb" not in r.stdout
    full = invoke("show", "p-count", "--answer", "--deck", DECK)
    assert "Rule of thumb" in full.stdout
    assert 'conn.execute(text("select 2"))' in full.stdout


@pytest.mark.usefixtures("reviewed")
def test_reset_without_an_answer_deletes_nothing() -> None:
    result = invoke("reset", input="")
    assert result.exit_code == 1
    assert result.stderr.endswith("nothing was forgotten (pass --yes to skip the question)\n")
    assert stats_json()["reviews_total"] == 7


def test_reset_of_an_unknown_card_is_an_error() -> None:
    result = invoke("reset", "--card", "p-plainn", "--yes", "--deck", DECK)
    assert result.exit_code == 4
    assert result.stderr.startswith("error: no card with id 'p-plainn'")


def test_import_rejects_a_state_that_is_not_an_fsrs_card(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "format": "sqlaquiz-progress",
                "version": 1,
                "reviews": [],
                "cards": [
                    {
                        "card_id": "x",
                        "fsrs": {},
                        "due": "2026-01-01T00:00:00+00:00",
                        "state": 2,
                        "reps": 1,
                        "lapses": 0,
                        "first_review": "2026-01-01T00:00:00+00:00",
                        "last_review": "2026-01-01T00:00:00+00:00",
                    }
                ],
            }
        )
    )
    result = invoke("import", str(bad))
    assert result.exit_code == 6
    assert result.stderr == (
        f"error: {bad}: field 'cards.0.fsrs': not an FSRS card (KeyError: 'card_id')\n"
    )
    assert json.loads(invoke("list", "--json").stdout)[0]["state"] == "new"


def test_user_values_are_never_read_as_markup() -> None:
    result = invoke("list", "--topic", "[/]")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: unknown topic '[/]'; topics are: ")
