"""Whole review sessions driven through the CLI with a fixed clock and fuzzing off."""

from __future__ import annotations

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

DECK = str(Path(__file__).parent / "data" / "practice.yaml")
NOW = "2026-03-02T09:00:00+00:00"
AT_NOW = datetime.fromisoformat(NOW)
cli = CliRunner()


@pytest.fixture(autouse=True)
def trusted_deck(isolated_home: Path) -> None:
    """The practice deck is a user deck: its examples run once it is trusted."""
    assert cli.invoke(app, ["trust", DECK]).exit_code == 0


def start(*args: str, input: str, now: str = NOW):  # type: ignore[no-untyped-def]
    return cli.invoke(
        app,
        ["start", "--deck", DECK, "--topic", "practice", *args],
        input=input,
        env={"SQLAQUIZ_NOW": now},
    )


def states() -> dict[str, dict]:  # type: ignore[type-arg]
    result = cli.invoke(
        app, ["list", "--json", "--deck", DECK, "--topic", "practice"], env={"SQLAQUIZ_NOW": NOW}
    )
    assert result.exit_code == 0, result.output
    return {row["id"]: row for row in json.loads(result.stdout)}


def exported(tmp_path: Path) -> dict:  # type: ignore[type-arg]
    out = tmp_path / "export.json"
    assert cli.invoke(app, ["export", str(out)]).exit_code == 0
    return json.loads(out.read_text())  # type: ignore[no-any-return]


def test_three_cards_graded_and_scheduled_exactly(tmp_path: Path) -> None:
    # p-plain: typed answer, Good. p-count: predict 2 (right), Easy. p-raise: predict "n"
    # (wrong), Good. Learning cards due within 20 minutes come back: p-plain (10m),
    # p-raise (10m) -> quit at the first of those.
    result = start(input="identity map\n3\n2\n4\nn\n3\nq\n")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "1/3  Practice" in out
    assert "[1] Again 1m  [2] Hard 6m  [3] Good 10m  [4] Easy 8d" in out
    assert "✓ Right. You predicted 2; the 'two' cell sent 2 queries." in out
    assert "✗ Not quite. You predicted it does not raise; it raised." in out
    assert "✓ raised ZeroDivisionError as the card says" in out
    assert "saved — next review in 8d" in out
    assert "predictions right  1/2" in out
    rows = states()
    assert {cid: (r["state"], r["due"]) for cid, r in rows.items()} == {
        "p-plain": ("learning", "2026-03-02T09:10:00+00:00"),
        "p-count": ("review", "2026-03-10T09:00:00+00:00"),
        "p-raise": ("learning", "2026-03-02T09:10:00+00:00"),
    }
    logs = exported(tmp_path)["reviews"]
    assert [
        (r["card_id"], r["rating"], r["typed_answer"], r["prediction"], r["prediction_right"])
        for r in logs
    ] == [
        ("p-plain", 3, "identity map", None, None),
        ("p-count", 4, None, "2", True),
        ("p-raise", 3, None, "n", False),
    ]


def test_schedule_persists_into_the_next_session() -> None:
    start(input="\n3\n2\n4\ny\n3\nq\n")
    later = "2026-03-02T09:15:00+00:00"  # p-plain and p-raise are due, p-count is not
    result = start(input="\n3\ny\n3\n", now=later)
    assert result.exit_code == 0
    assert "1/2  Practice" in result.stdout
    rows = states()
    assert rows["p-plain"]["due"] == "2026-03-04T09:15:00+00:00"  # Good again -> 2 days
    assert rows["p-raise"]["due"] == "2026-03-04T09:15:00+00:00"
    assert rows["p-count"]["due"] == "2026-03-10T09:00:00+00:00"


def test_nothing_due_says_when_and_mentions_cram(seed_reviews: Callable[..., None]) -> None:
    seed_reviews(*(ReviewInput(c, Rating.Easy, AT_NOW) for c in ("p-plain", "p-count", "p-raise")))
    result = start(input="")
    assert result.exit_code == 0
    assert result.stdout.startswith(
        "Nothing is due right now.\nThe next card is due in 8d (2026-03-10 "
    )
    assert "Use --cram to practise these cards anyway" in result.stdout


def test_cram_writes_nothing() -> None:
    result = start("--cram", input="\n3\n2\n3\ny\n3\n")
    assert result.exit_code == 0
    assert "reviewed           3 (cram: nothing saved)" in result.stdout
    assert {r["state"] for r in states().values()} == {"new"}


def test_end_of_input_exits_0_and_keeps_grades() -> None:
    result = start(input="\n3\n")  # one grade, then stdin ends at p-count's prediction
    assert result.exit_code == 0
    assert "session summary" in result.stdout
    assert states()["p-plain"]["state"] == "learning"
    assert states()["p-count"]["state"] == "new"


def test_undo_takes_back_the_last_grade() -> None:
    result = start(input="\n4\nu\n\n1\nq\n")
    assert result.exit_code == 0
    assert "undone: p-plain is back" in result.stdout
    assert states()["p-plain"]["due"] == "2026-03-02T09:01:00+00:00"  # the Again, not the Easy


def test_skip_leaves_a_card_new() -> None:
    result = start(input="\ns\n2\nq\n")
    assert result.exit_code == 0
    assert states()["p-plain"]["state"] == "new"


def test_daily_new_card_limit_and_limit_option() -> None:
    result = start("--new", "1", input="\n4\n")
    assert "1/1  Practice" in result.stdout
    again = start("--new", "1", input="")
    assert "today's new-card limit is reached (--new N allows more)" in again.stdout
    more = start("--new", "3", "--limit", "1", input="2\n4\n")
    assert "1/1  Practice" in more.stdout


def test_filters_combine_difficulty_and_tag() -> None:
    result = start(
        "--difficulty", "hard", "--difficulty", "easy", "--tag", "errors", input="y\n3\nq\n"
    )
    assert "1/1  Practice  ·  hard" in result.stdout


def test_help_key_and_unknown_keys() -> None:
    result = start(input="\n?\nx\n3\nq\n")
    assert "undo the last grade and show that card again" in result.stdout
    assert states()["p-plain"]["state"] == "learning"


def test_ctrl_c_exits_130_and_keeps_the_grade(monkeypatch: pytest.MonkeyPatch) -> None:
    from quiz.review import keys as terminal

    calls = {"n": 0}
    real_line = terminal.TerminalInput.line

    def line(self, prompt: str) -> str:  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:  # after the first card was graded
            raise KeyboardInterrupt
        return real_line(self, prompt)

    monkeypatch.setattr(terminal.TerminalInput, "line", line)
    result = start(input="\n3\n")
    assert result.exit_code == 130
    assert result.stderr == "\ninterrupted — every graded card is saved\n"
    assert states()["p-plain"]["state"] == "learning"


def test_a_failing_editor_does_not_end_the_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDITOR", "/no/such/editor")
    result = start(input="\n3\n2\ne\n4\nq\n")
    assert result.exit_code == 0
    assert "✗ cannot start the editor '/no/such/editor'; set $EDITOR" in result.stdout
    assert states()["p-count"]["state"] == "review"


def test_a_challenge_the_run_cannot_settle_is_not_scored(tmp_path: Path) -> None:
    deck = tmp_path / "slow.yaml"
    deck.write_text(
        "topic: {slug: slow, name: Slow}\ncards:\n  - id: slow-1\n    difficulty: easy\n"
        "    question: Q?\n    answer: A.\n    example: |\n      while True: pass\n"
        "    challenge: {ask: raises, prompt: Raises?, answer: false}\n"
    )
    assert cli.invoke(app, ["trust", str(deck)]).exit_code == 0
    result = cli.invoke(
        app,
        ["start", "--deck", str(deck), "--topic", "slow", "--timeout", "0.5"],
        input="n\n3\n",
        env={"SQLAQUIZ_NOW": NOW},
    )
    assert result.exit_code == 0
    assert (
        "? The run could not settle your prediction (timed out after 0.5 s in cell 'cell 1', "
        "at line 1, and was stopped)"
    ) in " ".join(result.stdout.split())
    assert "predictions right" not in result.stdout


def test_a_card_that_leaves_the_decks_keeps_its_state_and_is_ignored(
    seed_reviews: Callable[..., None],
) -> None:
    seed_reviews(ReviewInput("p-plain", Rating.Good, AT_NOW))  # p-plain graded
    result = cli.invoke(app, ["stats", "--json"], env={"SQLAQUIZ_NOW": NOW})  # without the deck
    assert json.loads(result.stdout)["due_today"] == 0  # p-plain is not in the decks now
    listed = cli.invoke(app, ["list", "--json"], env={"SQLAQUIZ_NOW": NOW})
    assert "p-plain" not in {c["id"] for c in json.loads(listed.stdout)}
    assert states()["p-plain"]["state"] == "learning"  # the deck is back: so is the state


def test_undo_before_any_grade_says_so_and_asks_again() -> None:
    result = start(input="u\n\n3\nq\n")
    assert "nothing to undo yet" in result.stdout
    rows = cli.invoke(app, ["export", "-"]).stdout
    assert json.loads(rows)["reviews"][0]["typed_answer"] is None


class _Keys:
    """An input source that answers from a list; each answer takes the user 25 seconds."""

    def __init__(self, answers: list[str], clock: list[datetime]) -> None:
        self.answers = answers
        self.clock = clock

    def key(self, prompt: str, allowed: str) -> str:
        return self.line(prompt)

    def line(self, prompt: str) -> str:
        if not self.answers:
            raise EOFError
        self.clock[0] += timedelta(seconds=25)
        return self.answers.pop(0)


def test_a_learning_card_comes_back_only_once_it_is_due(isolated_home: Path) -> None:
    import io

    from rich.console import Console

    from quiz.deck.loader import load_library
    from quiz.progress.store import Store
    from quiz.review.session import ReviewSession, SessionOptions

    cards = [c for c in load_library([Path(DECK)]).cards if c.topic == "practice"]
    now = [datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)]
    isolated_home.mkdir(parents=True, exist_ok=True)
    store = Store.open(isolated_home / "p.sqlite3")
    out = io.StringIO()
    # p-plain: Again at 09:00:50, due 09:01:50. p-count (predict 2, Good) ends at 09:01:40:
    # p-plain is not due yet, so p-raise (y, Good) goes first; then p-plain is due: Good.
    answers = ["", "1", "2", "3", "y", "3", "", "3"]
    session = ReviewSession(
        cards,
        store,
        Console(file=out, width=120),
        _Keys(answers, now),
        SessionOptions(fuzz=False),
        clock=lambda: now[0],
    )
    assert session.run() == 0
    store.close()
    shown = re.findall(r"(p-[a-z]+) ─+╯", out.getvalue())
    assert shown == ["p-plain", "p-count", "p-raise", "p-plain"]
    assert "next review in 1m (in this session too, if it is still going then)" in out.getvalue()
    assert "4/4  Practice" in out.getvalue()


@pytest.mark.parametrize("editor", ["", "/tmp", 'vim "x'])
def test_an_unusable_editor_is_one_line_and_the_session_goes_on(editor: str) -> None:
    result = cli.invoke(
        app,
        ["start", "--deck", DECK, "--topic", "practice"],
        input="\n3\n2\ne\n4\nq\n",
        env={"SQLAQUIZ_NOW": NOW, "EDITOR": editor},
    )
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert re.search(r"✗ (\$EDITOR is|cannot start the editor)", result.stdout)
    assert "saved — next review in 8d" in result.stdout  # the Easy after `e` was saved


def test_escape_sequences_never_reach_the_review_log(tmp_path: Path) -> None:
    # piped input (or a terminal without readline): an arrow key's bytes are dropped, and so is
    # any other control character
    result = start(input="ident\x1b[Dity\x1bOA map\x07\t!\n3\nq\n")
    assert result.exit_code == 0, result.output
    logs = exported(tmp_path)["reviews"]
    assert [r["typed_answer"] for r in logs] == ["identity map !"]


class _Waiting:
    """Answers from a list; waiting moves the clock on (a session's wait, without the wait)."""

    def __init__(self, answers: list[str], clock: list[datetime]) -> None:
        self.answers, self.clock, self.waited = answers, clock, []  # type: ignore[var-annotated]

    def key(self, prompt: str, allowed: str) -> str:
        return self.line(prompt)

    def line(self, prompt: str) -> str:
        if not self.answers:
            raise EOFError
        return self.answers.pop(0)

    def wait(self, seconds: float) -> bool:
        self.waited.append(seconds)
        self.clock[0] += timedelta(seconds=seconds)
        return True


def test_again_on_the_last_card_offers_to_wait_for_it(isolated_home: Path) -> None:
    import io

    from rich.console import Console

    from quiz.deck.loader import load_library
    from quiz.progress.store import Store
    from quiz.review.session import ReviewSession, SessionOptions

    cards = [c for c in load_library([Path(DECK)]).cards if c.id == "p-plain"]
    now = [AT_NOW]
    isolated_home.mkdir(parents=True, exist_ok=True)
    store = Store.open(isolated_home / "p.sqlite3")
    out = io.StringIO()
    # Again at 09:00 -> due 09:01: Enter waits a minute, the card shows again, Good -> due in
    # 10m: the second offer is declined with q
    inp = _Waiting(["", "1", "", "", "3", "q"], now)
    session = ReviewSession(
        cards,
        store,
        Console(file=out, width=120),
        inp,
        SessionOptions(fuzz=False),
        clock=lambda: now[0],
    )
    assert session.run() == 0
    text = out.getvalue()
    assert re.findall(r"(p-[a-z]+) ─+╯", text) == ["p-plain", "p-plain"]
    assert inp.waited == [60.0]
    assert "waiting 1m for p-plain · any key ends the session" in text
    assert [(r.card_id, r.rating) for r in store.reviews()] == [
        ("p-plain", Rating.Again),
        ("p-plain", Rating.Good),
    ]
    store.close()


def test_the_wait_prompt_says_how_long_and_what_keys_do() -> None:
    from quiz.ui.session_views import wait_prompt

    assert wait_prompt("p-plain", 1, timedelta(seconds=50)) == (
        "p-plain comes back in 1m. Enter waits for it · q ends the session > "
    )
    assert wait_prompt("p-plain", 3, timedelta(minutes=6)) == (
        "p-plain comes back in 6m (and 2 other cards after it). "
        "Enter waits for it · q ends the session > "
    )


def test_e_continues_from_the_last_edit_in_this_session_and_the_next(
    tmp_path: Path, isolated_home: Path
) -> None:
    # the "editor" adds one more statement to cell "two" each time it opens the file
    editor = tmp_path / "add-one.py"
    editor.write_text(
        "import sys\n"
        "p = sys.argv[1]\n"
        "s = open(p).read().rstrip('\\n') + '\\n    conn.execute(text(\"select 9\"))\\n'\n"
        "open(p, 'w').write(s)\n"
    )
    env = {"SQLAQUIZ_NOW": NOW, "EDITOR": f"python3 {editor}"}
    args = ["start", "--deck", DECK, "--topic", "practice"]
    first = cli.invoke(app, args, input="\n3\n2\ne\ne\n4\nq\n", env=env)
    assert first.exit_code == 0, first.output
    out = first.stdout
    assert "│ two   │        2 │         3 │ changed │" in out  # the first edit: 3
    assert "continuing your last edit" in out
    assert "│ two   │        2 │         4 │ changed │" in out  # the second builds on it: 4
    kept = isolated_home / "edits" / "p-count.py"
    assert f"your edit is kept in {kept}" in out.replace("\n", " ").replace("  ", " ")
    assert kept.read_text().count("select 9") == 2
    # a later session (p-count is due again in 8 days) continues from the kept file
    later = cli.invoke(app, [*args, "--tag", "counting", "--cram"], input="2\ne\nq\n", env=env)
    assert "│ two   │        2 │         5 │ changed │" in later.stdout


def test_run_edit_of_a_card_meant_to_raise_passes_when_the_edit_raises_it_too() -> None:
    result = cli.invoke(
        app,
        ["run", "p-raise", "--edit", "--deck", DECK],
        env={"EDITOR": "sed -i s/1/2/"},
    )
    assert result.exit_code == 0, result.output
    assert "✓ raised ZeroDivisionError as the card says" in result.stdout.split("edited")[-1]
    assert "0 ✓ raised ZeroDivisionError" in result.stdout


def test_new_cards_the_daily_limit_holds_back_are_counted_with_the_way_in(
    seed_reviews: Callable[..., None],
) -> None:
    first = start("--new", "1", input="q\n")
    assert first.stdout.startswith(
        "2 new cards of this selection are held back by today's new-card limit: --new 3 lets "
        "them in today\n"
    )
    seed_reviews(ReviewInput("p-plain", Rating.Good, AT_NOW - timedelta(minutes=5)))  # 1 today
    one = start("--new", "2", input="q\n")
    assert one.stdout.startswith(
        "1 new card of this selection is held back by today's new-card limit: --new 3 lets "
        "it in today\n"
    )
    assert "held back" not in start("--new", "2", "--limit", "1", input="q\n").stdout
    assert "held back" not in start("--new", "3", input="q\n").stdout


def test_piped_answers_are_not_offered_a_real_wait() -> None:
    result = start("--tag", "basics", input="\n1\n\n")  # an Again on the only card
    assert result.exit_code == 0
    assert "comes back in" not in result.stdout
    assert "session summary" in result.stdout
