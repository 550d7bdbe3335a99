"""What fits the screen: a real pseudo-terminal of a given size, read back as a screen (pyte)."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pexpect
import pyte
import pytest

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
