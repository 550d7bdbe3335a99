"""What fits the screen: a real pseudo-terminal of a given size, read back as a screen (pyte)."""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pexpect
import pyte
import pytest
from rich.console import Console

from quiz.deck.loader import load_library
from quiz.progress.records import ReviewInput
from quiz.progress.store import DB_NAME, Store
from quiz.review import scheduler
from quiz.ui.card_view import PredictionScreen
from quiz.ui.folding import Fold, fit, fold_steps
from tests.test_terminal import sqlaquiz_command


class Screen:
    """What a terminal of `rows` x `cols` shows after the output so far (a pexpect log file)."""

    def __init__(self, rows: int, cols: int) -> None:
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.Stream(self.screen)

    def write(self, data: str) -> None:
        self.stream.feed(data)
        sys.stdout.write(data)  # shown by pytest when the test fails

    def flush(self) -> None:
        sys.stdout.flush()

    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.screen.display)


def spawn(
    args: list[str], home: Path, rows: int, cols: int, **env: str
) -> tuple[pexpect.spawn, Screen]:
    cmd = sqlaquiz_command()
    environ = {
        **os.environ,
        "SQLAQUIZ_HOME": str(home),
        "SQLAQUIZ_NOW": "2026-03-02T09:00:00+00:00",
        "TERM": "xterm",
        **env,
    }
    for var in ("COLUMNS", "LINES"):  # the terminal's own size, as a user's shell has it
        environ.pop(var, None)
    child = pexpect.spawn(
        cmd[0], cmd[1:] + args, env=environ, encoding="utf-8", timeout=30, dimensions=(rows, cols)
    )
    screen = Screen(rows, cols)
    child.logfile_read = screen
    return child, screen


def output(args: list[str], home: Path, rows: int = 24, cols: int = 80, **env: str) -> str:
    """Everything a command writes to a terminal, once it has ended."""
    child, _ = spawn(args, home, rows, cols, **env)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    return str(child.before)


SGR = re.compile(r"\x1b\[([0-9;]*)m")


def plain(text: str) -> str:
    """The text without its styles."""
    return SGR.sub("", text)


def coloured(text: str) -> bool:
    """Whether any style in the text sets a colour (30-49, 90-107)."""
    codes = (int(c) for m in SGR.finditer(text) for c in m.group(1).split(";") if c)
    return any(30 <= c <= 49 or 90 <= c <= 107 for c in codes)


# --------------------------------------------------------------------------- inline code


@pytest.mark.slow
@pytest.mark.parametrize(
    "env", [{"NO_COLOR": "1"}, {"TERM": "dumb"}], ids=["NO_COLOR", "TERM=dumb"]
)
def test_inline_code_keeps_its_backticks_without_colour(
    isolated_home: Path, env: dict[str, str]
) -> None:
    shown = output(["show", "sess-expire-on-commit"], isolated_home, **env)
    assert not coloured(shown)
    assert "`db.commit()` you read `ticket.title`" in plain(shown)


@pytest.mark.slow
def test_inline_code_is_coloured_not_quoted_in_colour(isolated_home: Path) -> None:
    shown = output(["show", "sess-expire-on-commit"], isolated_home)
    assert coloured(shown)
    assert "`db.commit()`" not in plain(shown)
    assert "db.commit() you read ticket.title" in plain(shown)


# --------------------------------------------------------------------------- list, stats, topics

LONGEST_ID = "fastapi-response-model-silent-n-plus-one"  # the longest id of the bundled decks
NOW = datetime(2026, 3, 30, 9, 0, tzinfo=timezone.utc)


def seed_progress(home: Path) -> None:
    """Reviews spread over the last 30 days (the last today), and the longest id relearning."""
    home.mkdir(parents=True, exist_ok=True)
    store = Store.open(home / DB_NAME)
    fsrs = scheduler.make_scheduler(fuzz=False)

    def grade(card_id: str, rating: int, at: datetime) -> None:
        again = scheduler.rescheduler(fsrs, scheduler.Rating(rating), at)
        store.record_review(ReviewInput(card_id, rating, at), again)

    first = NOW - timedelta(days=29)
    grade(LONGEST_ID, 3, first)
    grade(LONGEST_ID, 3, first + timedelta(minutes=10))
    for day in range(0, 30, 3):
        for i in range(day % 7 + 1):
            grade("sess-expire-on-commit", 3, first + timedelta(days=day, minutes=i))
    grade(LONGEST_ID, 1, NOW - timedelta(minutes=1))
    store.close()


@pytest.mark.slow
def test_list_fits_80_columns_with_the_longest_id_relearning(isolated_home: Path) -> None:
    seed_progress(isolated_home)
    shown = plain(output(["list"], isolated_home, cols=80, SQLAQUIZ_NOW=NOW.isoformat()))
    lines = shown.splitlines()
    assert max(len(line) for line in lines) <= 80
    (row,) = [line for line in lines if line.startswith(LONGEST_ID)]
    words = row.split()
    assert (words[1:3], words[-2:]) == (["hard", "relearning"], ["—", "1"])


@pytest.mark.slow
def test_the_30_day_chart_fits_60_columns_and_ends_with_today(isolated_home: Path) -> None:
    seed_progress(isolated_home)
    child, screen = spawn(["stats"], isolated_home, rows=60, cols=60, SQLAQUIZ_NOW=NOW.isoformat())
    child.expect(pexpect.EOF)
    lines = screen.text().splitlines()
    top = next(i for i, line in enumerate(lines) if "reviews per day" in line)
    chart = lines[top + 1 : top + 9]
    assert all(line.endswith("│") for line in chart), "\n".join(lines)  # no row wrapped
    bars, axis, dates = chart[4], chart[5], chart[6]
    assert axis.startswith("│ " + "·" * 30 + " ")
    # today (one review) is the last column, right under the end of today's date
    today = 2 + 29
    assert bars[today] != " " and bars[today + 1] == " "
    assert dates[2:].startswith("Mar 01") and dates[: today + 1].endswith("Mar 30")


@pytest.mark.slow
def test_topics_stay_readable_at_60_columns(isolated_home: Path) -> None:
    child, screen = spawn(["topics"], isolated_home, rows=200, cols=60)
    child.expect(pexpect.EOF)
    lines = screen.text().splitlines()
    assert "Engine, session & FastAPI setup (setup)" in lines  # the name whole, and the slug
    i = lines.index("Sessions & transactions (sessions)")
    assert lines[i + 1].split() == ["all", "9", "9", "0", "0", "0", "—"]
    assert lines[i + 3].split()[0] == "medium"


# --------------------------------------------------------------------------- a challenge on screen

FOLDED = (
    "# %% setup\n"  # 1
    "import os\n"
    "from sqlalchemy.orm import DeclarativeBase, Mapped, relationship\n"
    "\n"
    "class Base(DeclarativeBase):\n"  # 5
    "    pass\n"
    "\n"
    "class Author(Base):\n"
    "    name: Mapped[str]\n"
    "    books: Mapped[list['Book']] = relationship()\n"  # 10
    "\n"
    "class Shelf(Base):\n"
    "    label: Mapped[str]\n"
    "\n"
    "engine = make_engine()\n"  # 15
    "stmt = select(Author)\n"
    "\n"
    "# %% first\n"
    "print(1)\n"
    "\n"  # 20
    "# %% asked\n"
    "for a in session.scalars(stmt):\n"
    "    print(a.books)\n"
    "\n"
    "# %% after\n"  # 25
    "print(2)"
)


def plan(budget: int, focus: str | None = "asked") -> list[int | Fold]:
    lines = FOLDED.split("\n")
    return fit(lines, fold_steps(FOLDED, focus), lambda n: 1, budget)


def test_folding_keeps_the_asked_cell_and_the_names_it_uses_longest() -> None:
    assert plan(26) == list(range(1, 27))  # it fits: nothing folds
    # blank lines go first, without a row (the numbers show the gap)
    assert plan(22) == [1, 2, 3, 5, 6, 8, 9, 10, 12, 13, 15, 16, 18, 19, 21, 22, 23, 25, 26]
    # then the cell after the one asked about, and the setup's plumbing (a base class with
    # nothing in it included); `stmt = ...` stays: the asked cell uses it
    after, plumbing, first_cell = Fold(24, 26), Fold(2, 7), Fold(17, 20)
    assert plan(15) == [1, plumbing, 8, 9, 10, 12, 13, Fold(14, 15), 16, 18, 19, 21, 22, 23, after]
    # then the model nobody names (Shelf: Author is named through stmt), the earlier cell
    assert plan(13) == [1, plumbing, 8, 9, 10, Fold(11, 15), 16, 18, 19, 21, 22, 23, after]
    assert plan(12) == [1, plumbing, 8, 9, 10, Fold(11, 15), 16, first_cell, 21, 22, 23, after]
    # then the line that makes stmt, then the model it uses
    assert plan(10) == [1, plumbing, 8, 9, 10, Fold(11, 20), 21, 22, 23, after]
    assert plan(9) == [1, Fold(2, 20), 21, 22, 23, after]
    # what is asked about is the last to go, from the top
    assert plan(3) == [Fold(1, 22), 23, after]


def test_about_the_whole_run_the_last_cell_is_folded_last() -> None:
    # no cell named (a "does it raise?" about the run, which stops at the first exception):
    # the cells after the setup stay longest, the last one (the one such a prompt names) most
    models = [8, 9, 10, Fold(11, 15), 16]
    assert plan(13, focus=None) == [1, Fold(2, 7), *models, Fold(17, 20), 21, 22, 23, 25, 26]
    assert plan(10, focus=None) == [1, Fold(2, 7), *models, Fold(17, 24), 25, 26]
    assert plan(7, focus=None) == [1, Fold(2, 24), 25, 26]


@pytest.mark.parametrize(("cols", "rows"), [(80, 24), (120, 45)])
def test_every_bundled_challenge_fits_with_room_for_the_prompt(cols: int, rows: int) -> None:
    library = load_library()
    challenges = [c for c in library.cards if c.challenge is not None and c.example]
    assert len(challenges) > 40
    too_tall = {}
    for card in challenges:
        console = Console(
            file=io.StringIO(), width=cols, height=rows, force_terminal=True, color_system=None
        )
        console.print(PredictionScreen(card, "1/9"))
        drawn = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
        if len(drawn) > rows - 2:  # the rule above it, the prompt below it
            too_tall[card.id] = len(drawn)
    assert too_tall == {}


def test_a_challenge_is_drawn_whole_where_there_is_no_screen() -> None:
    card = load_library().get("rel-joinedload-collection-unique")
    console = Console(file=io.StringIO(), width=80, height=24, color_system=None)
    console.print(PredictionScreen(card, "1/9"))
    drawn = console.file.getvalue()  # type: ignore[attr-defined]
    assert "│    2 import os" in drawn and "folded" not in drawn


@pytest.mark.slow
def test_question_code_and_prompt_share_an_80x24_screen_and_x_r_keep_it(
    isolated_home: Path, tmp_path: Path
) -> None:
    paged = tmp_path / "paged.txt"
    args = ["start", "--topic", "relationships", "--difficulty", "hard"]
    child, screen = spawn(args, isolated_home, 24, 80, PAGER=f"cat >> {shlex.quote(str(paged))}")
    child.expect(r"Does it raise\? y/n .*> ")
    shown = screen.text()
    assert "You switch a one-to-many from selectinload to joinedload" in shown, shown
    assert "40 customers = session.scalars(stmt).all()" in shown  # the line asked about
    assert "29 stmt = select(Customer).options(joinedload(Customer.orders))" in shown
    assert "x shows all 40 lines" in shown
    assert shown.rstrip().splitlines()[-1].startswith("Does it raise? y/n")
    # x: the whole example goes to the pager; the question and the prompt stay on screen
    child.send("x")
    child.expect(r"Does it raise\? y/n .*> ")
    assert "│    2 import os" in plain(paged.read_text())
    shown = screen.text()
    assert "You switch a one-to-many" in shown and "Predict (yes or no)" in shown, shown
    # the prediction, then r: the report goes to the pager, the answer stays on screen
    child.send("y")
    child.expect(r"\[4\] Easy")
    child.send("r")
    child.expect(r"\[4\] Easy")
    report = plain(paged.read_text())
    assert "4 PRAGMA · 2 CREATE TABLE · 16 INSERT — summed up; x shows them" in report
    assert "PRAGMA main.table_info" not in report
    shown = screen.text()
    assert "if you find yourself adding it, ask whether selectinload" in shown, shown
    child.send("q")
    child.expect(pexpect.EOF)


@pytest.mark.slow
def test_run_sums_up_the_setup_statements_and_full_shows_them(isolated_home: Path) -> None:
    card = "rel-joinedload-collection-unique"
    summed = plain(output(["run", card], isolated_home, cols=100))
    assert "4 PRAGMA · 2 CREATE TABLE · 16 INSERT — summed up; --full shows them" in summed
    assert "PRAGMA main.table_info" not in summed
    assert "SELECT customers.id" in summed  # the other cells' statements are all there
    full = plain(output(["run", card, "--full"], isolated_home, cols=100))
    assert 'PRAGMA main.table_info("customers")' in full
    assert "summed up" not in full


@pytest.mark.slow
def test_r_pages_a_report_that_would_push_the_answer_off_the_screen(
    isolated_home: Path, tmp_path: Path
) -> None:
    # a short report (it fits a 24-row screen) but with the answer it does not
    deck = str(Path(__file__).parent / "data" / "practice.yaml")
    trusted = subprocess.run([*sqlaquiz_command(), "trust", deck], capture_output=True, check=False)
    assert trusted.returncode == 0, trusted.stderr
    paged = tmp_path / "paged.txt"
    args = ["start", "--deck", deck, "--topic", "practice", "--limit", "2"]
    child, screen = spawn(args, isolated_home, 24, 80, PAGER=f"cat >> {shlex.quote(str(paged))}")
    child.expect("Your answer")
    child.sendline("")
    child.expect(r"\[4\] Easy")
    child.send("3")
    child.expect("How many queries")
    child.sendline("2")
    child.expect(r"\[4\] Easy")
    child.send("r")
    child.expect(r"\[4\] Easy")
    assert "2 queries in 2 cells" in plain(paged.read_text())
    assert "count, don't guess" in screen.text(), screen.text()
    child.send("q")
    child.expect(pexpect.EOF)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("less") is None, reason="no less on this machine")
def test_ctrl_c_in_the_pager_is_the_pagers_and_the_session_goes_on(isolated_home: Path) -> None:
    args = ["start", "--topic", "relationships", "--difficulty", "hard"]
    child, _ = spawn(args, isolated_home, 24, 80, PAGER="less")
    child.expect(r"Does it raise\? y/n .*> ")
    child.send("x")  # the whole example, in less
    child.expect("\r\n:")  # less's prompt: the page is drawn
    child.sendcontrol("c")
    time.sleep(0.5)  # less drops what is typed while it handles the interrupt
    child.send("q")
    child.expect(r"Does it raise\? y/n .*> ")  # back at the prompt, the session still going
    child.send("y")
    child.expect("Right. You predicted it raises")
    child.sendcontrol("c")  # at a prompt it still ends the session, as always
    child.expect("every graded card is saved")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
