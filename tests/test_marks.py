"""Suspend, bury, leeches and session limits, driven through the CLI with a fixed clock."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quiz.cli import app
from quiz.progress.store import ReviewInput
from quiz.review.scheduler import Rating
from tests.test_session import _Keys

DECK = str(Path(__file__).parent / "data" / "practice.yaml")
NOW = "2026-03-02T09:00:00+00:00"
AT_NOW = datetime.fromisoformat(NOW)
LATER = (AT_NOW + timedelta(days=9)).isoformat()  # cards graded Easy at NOW are due
cli = CliRunner()


@pytest.fixture(autouse=True)
def trusted_deck(isolated_home: Path) -> None:
    assert cli.invoke(app, ["trust", DECK]).exit_code == 0


def invoke(*args: str, now: str = NOW, input: str | None = None, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return cli.invoke(app, list(args), env={"SQLAQUIZ_NOW": now, **(env or {})}, input=input)


def start(*args: str, input: str = "", now: str = NOW):  # type: ignore[no-untyped-def]
    return invoke("start", "--deck", DECK, "--topic", "practice", *args, input=input, now=now)


def rows(now: str = NOW) -> dict[str, dict]:  # type: ignore[type-arg]
    listed = invoke("list", "--json", "--deck", DECK, "--topic", "practice", now=now)
    assert listed.exit_code == 0, listed.output
    return {row["id"]: row for row in json.loads(listed.stdout)}


def shown(output: str) -> list[str]:
    return re.findall(r"(p-[a-z]+) ─+╯", output)


def configure(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(text, encoding="utf-8")


# ------------------------------------------------------------------ suspend


def test_suspend_keeps_a_card_out_until_unsuspended() -> None:
    done = invoke("suspend", "p-plain", "--deck", DECK)
    assert done.exit_code == 0
    assert done.stdout == "suspended 1 card: p-plain\n"
    session = start(input="")
    assert "1/2  Practice" in session.stdout
    assert shown(session.stdout) == ["p-count"]
    assert rows()["p-plain"]["suspended"] is True
    table = invoke("list", "--deck", DECK, "--topic", "practice", env={"COLUMNS": "80"})
    assert re.search(r"^p-plain +easy +suspended ", table.stdout, re.M)
    again = invoke("suspend", "p-plain", "p-raise", "--deck", DECK)
    assert again.stdout == "suspended 1 card: p-raise\nalready suspended: p-plain\n"
    back = invoke("unsuspend", "--topic", "practice", "--json", "--deck", DECK)
    assert json.loads(back.stdout) == {
        "unsuspended": ["p-plain", "p-raise"],
        "unchanged": ["p-count"],
    }
    assert "1/3  Practice" in start(input="").stdout


def test_suspend_by_filter_and_its_one_line_errors() -> None:
    done = invoke("suspend", "--tag", "counting", "--deck", DECK)
    assert done.stdout == "suspended 1 card: p-count\n"
    nothing = invoke("suspend", "--deck", DECK)
    assert nothing.exit_code == 2
    assert nothing.stderr == (
        "error: name the cards to suspend: CARD_ID..., or --topic, --difficulty, --tag, --leeches\n"
    )
    unknown = invoke("suspend", "p-plian", "--deck", DECK)
    assert unknown.exit_code == 4
    assert unknown.stderr == "error: no card with id 'p-plian' — did you mean p-plain?\n"
    assert rows()["p-plain"]["suspended"] is False


# ------------------------------------------------------------------ bury


def test_b_buries_the_card_until_the_next_local_midnight() -> None:
    session = start(input="\n?\nb\nq\n")  # p-plain: Enter, help, bury; then quit at p-count
    assert session.exit_code == 0
    assert "bury this card until tomorrow (no grade)" in session.stdout
    assert "buried: p-plain comes back after " in session.stdout
    assert shown(session.stdout) == ["p-plain", "p-count"]
    row = rows()["p-plain"]
    assert (row["state"], row["buried_until"]) == ("new", row["buried_until"])
    until = datetime.fromisoformat(row["buried_until"])
    assert until.astimezone().time().isoformat() == "00:00:00"
    assert timedelta(0) < until - AT_NOW <= timedelta(hours=25)
    assert shown(start(input="").stdout) == ["p-count"]  # later the same day: still buried
    tomorrow = (until + timedelta(minutes=1)).isoformat()
    assert shown(start(input="", now=tomorrow).stdout) == ["p-plain"]
    assert rows(now=tomorrow)["p-plain"]["buried_until"] is None


def test_bury_in_cram_saves_nothing() -> None:
    session = start("--cram", input="\nb\nq\n")
    assert "cram saves nothing: s skips the card" in session.stdout
    assert rows()["p-plain"]["buried_until"] is None


# ------------------------------------------------------------------ leeches


@pytest.fixture
def learnt(seed_reviews: Callable[..., None]) -> None:
    """All three cards graded Easy at NOW: learnt, due again at LATER."""
    seed_reviews(*(ReviewInput(c, Rating.Easy, AT_NOW) for c in ("p-plain", "p-count", "p-raise")))


def test_a_leech_is_said_in_the_session_suspended_and_in_stats(
    isolated_home: Path, learnt: None
) -> None:
    configure(isolated_home, 'leech_threshold = 1\nleech_action = "suspend"\n')
    session = start(input="\n1\nq\n", now=LATER)
    assert session.exit_code == 0, session.output
    assert "leech: p-plain forgotten 1 time — suspended (sqlaquiz unsuspend p-plain)" in (
        session.stdout
    )
    row = rows(now=LATER)["p-plain"]
    assert (row["lapses"], row["leech"], row["suspended"]) == (1, True, True)
    stats = json.loads(invoke("stats", "--json", "--deck", DECK, now=LATER).stdout)
    assert (stats["leeches"], stats["suspended"]) == ([{"id": "p-plain", "lapses": 1}], 1)
    text = invoke("stats", "--deck", DECK, now=LATER).stdout
    assert "1 leech · 1 suspended · 0 buried" in text
    assert invoke("suspend", "--leeches", "--deck", DECK).stdout.startswith("already suspended")


def test_undoing_the_lapse_lifts_the_leech_suspension(isolated_home: Path, learnt: None) -> None:
    configure(isolated_home, 'leech_threshold = 1\nleech_action = "suspend"\n')
    session = start(input="\n1\nu\n\n3\nq\n", now=LATER)
    assert "— suspended" in session.stdout
    row = rows(now=LATER)["p-plain"]
    assert (row["lapses"], row["suspended"]) == (0, False)


def test_a_kept_leech_stays_in_reviews(isolated_home: Path, learnt: None) -> None:
    configure(isolated_home, "leech_threshold = 1\n")
    session = start(input="\n1\nq\n", now=LATER)
    assert (
        "leech: p-plain forgotten 1 time — kept in your reviews (sqlaquiz suspend p-plain sets it"
        " aside)" in session.stdout
    )
    row = rows(now=LATER)["p-plain"]
    assert (row["leech"], row["suspended"]) == (True, False)
    configure(isolated_home, "leech_threshold = 2\n")
    assert rows(now=LATER)["p-plain"]["leech"] is False


def test_the_leech_rule_is_ankis() -> None:
    from quiz.review.grading import leech_reached

    assert [n for n in range(1, 20) if leech_reached(n, 8)] == [8, 12, 16]
    assert [n for n in range(1, 5) if leech_reached(n, 1)] == [1, 2, 3, 4]


# ------------------------------------------------------------------ export / import


def test_suspended_and_buried_cards_survive_export_and_import(
    isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoke("suspend", "p-raise", "--deck", DECK)
    start(input="\nb\nq\n")  # buries p-plain
    out = tmp_path / "progress.json"
    assert invoke("export", str(out)).exit_code == 0
    data = json.loads(out.read_text())
    assert data["version"] == 2
    assert [(m["card_id"], m["suspended_by"]) for m in data["marks"]] == [
        ("p-plain", None),
        ("p-raise", "you"),
    ]
    before = rows()
    monkeypatch.setenv("SQLAQUIZ_HOME", str(tmp_path / "elsewhere"))
    assert cli.invoke(app, ["trust", DECK]).exit_code == 0
    imported = invoke("import", str(out))
    assert imported.exit_code == 0, imported.output
    assert rows() == before
    assert invoke("import", str(out)).exit_code == 0  # twice: nothing changes
    assert rows() == before


def test_a_mark_that_says_nothing_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "format": "sqlaquiz-progress",
                "version": 2,
                "cards": [],
                "reviews": [],
                "marks": [{"card_id": "p-plain", "suspended_by": "cat"}],
            }
        )
    )
    result = invoke("import", str(bad))
    assert result.exit_code == 6
    assert (
        result.stderr
        == f"error: {bad}: field 'marks.0.suspended_by': 'cat' is not one of you, leech\n"
    )


# ------------------------------------------------------------------ session limits


def test_minutes_ends_the_session_after_the_card_in_progress(isolated_home: Path) -> None:
    from rich.console import Console

    from quiz.deck.loader import load_library
    from quiz.progress.store import Store
    from quiz.review.session import ReviewSession, SessionOptions

    cards = [c for c in load_library([Path(DECK)]).cards if c.topic == "practice"]
    now = [datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)]
    isolated_home.mkdir(parents=True, exist_ok=True)
    store = Store.open(isolated_home / "p.sqlite3")
    out = io.StringIO()
    # each answer takes 25 s: p-plain ends at 0:50, p-count (predict 2, then Good) at 1:40
    answers = ["", "3", "2", "3", "y", "3"]
    session = ReviewSession(
        cards,
        store,
        Console(file=out, width=120),
        _Keys(answers, now),
        SessionOptions(fuzz=False, minutes=1.5),
        clock=lambda: now[0],
    )
    assert session.run() == 0
    store.close()
    assert shown(out.getvalue()) == ["p-plain", "p-count"]
    assert "Time is up (1.5 minutes): the session ends here." in out.getvalue()
    assert re.search(r"reviewed +2", out.getvalue())


def test_minutes_is_an_option_of_start() -> None:
    result = start("--minutes", "0", input="")
    assert result.exit_code == 2
    assert "--minutes" in result.stderr


def test_a_suspended_card_is_not_due_in_any_view(learnt: None) -> None:
    assert invoke("suspend", "p-plain", "--deck", DECK).exit_code == 0
    due = invoke("list", "--due", "--json", "--deck", DECK, "--topic", "practice", now=LATER)
    assert [r["id"] for r in json.loads(due.stdout)] == ["p-count", "p-raise"]
    stats = json.loads(invoke("stats", "--json", "--deck", DECK, now=LATER).stdout)
    assert stats["due_today"] == 2
    topics = json.loads(invoke("topics", "--json", "--deck", DECK, now=LATER).stdout)
    (practice,) = [t for t in topics if t["topic"] == "practice"]
    assert practice["due"] == 2
