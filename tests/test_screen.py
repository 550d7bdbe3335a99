"""What fits the screen: a real pseudo-terminal of a given size, read back as a screen (pyte)."""

from __future__ import annotations

import os
import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pexpect
import pyte
import pytest

from quiz.progress.records import ReviewInput
from quiz.progress.store import DB_NAME, Store
from quiz.review import scheduler
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


@pytest.mark.parametrize(
    "env", [{"NO_COLOR": "1"}, {"TERM": "dumb"}], ids=["NO_COLOR", "TERM=dumb"]
)
def test_inline_code_keeps_its_backticks_without_colour(
    isolated_home: Path, env: dict[str, str]
) -> None:
    shown = output(["show", "sess-expire-on-commit"], isolated_home, **env)
    assert not coloured(shown)
    assert "`db.commit()` you read `ticket.title`" in plain(shown)


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


def test_list_fits_80_columns_with_the_longest_id_relearning(isolated_home: Path) -> None:
    seed_progress(isolated_home)
    shown = plain(output(["list"], isolated_home, cols=80, SQLAQUIZ_NOW=NOW.isoformat()))
    lines = shown.splitlines()
    assert max(len(line) for line in lines) <= 80
    (row,) = [line for line in lines if line.startswith(LONGEST_ID)]
    words = row.split()
    assert (words[1:3], words[-2:]) == (["hard", "relearning"], ["—", "1"])


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


def test_topics_stay_readable_at_60_columns(isolated_home: Path) -> None:
    child, screen = spawn(["topics"], isolated_home, rows=200, cols=60)
    child.expect(pexpect.EOF)
    lines = screen.text().splitlines()
    assert "Engine, session & FastAPI setup" in lines
    i = lines.index("Sessions & transactions")
    assert lines[i + 1].split() == ["all", "7", "7", "0", "0", "0", "—"]
    assert lines[i + 3].split()[0] == "medium"
