"""What the hostile corpus shares: the CLI in-process, and the promises every case checks."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from quiz.cli import app

CLI = CliRunner()
ESC = "\x1b"
# escape sequences a hostile text carries: clear the screen, retitle the window, write the
# clipboard (OSC 52), a one-byte CSI
ATTACKS = ("\x1b[2J\x1b[H", "\x1b]0;pwned\x07", "\x1b]52;c;cm0gLXJmIH4=\x07", "\x9b2J")


def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Any:
    return CLI.invoke(app, list(args), input=input, env=env)


def one_line(result: Any, code: int, *fragments: str) -> str:
    """The promise for a refusal: this exit code, one line on stderr saying so, no traceback,
    no raw escape character anywhere."""
    assert result.exit_code == code, (result.exit_code, result.output)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert "Traceback" not in result.output
    assert ESC not in result.output and "\x9b" not in result.output
    return lines[0]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file of your progress below `folder` by its hash (not the disposable deck cache):
    "nothing changed" is an equal snapshot."""
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and p.suffix in (".sqlite3", ".json", ".sqlite3-wal")
        and "cache" not in p.parts
    }


CARD = """\
  - id: {id}
    difficulty: easy
    question: {question}
    answer: An answer.
"""


def deck_text(*cards: str, topic: str = "Hostile", slug: str = "hostile") -> str:
    return f"topic: {{slug: {slug}, name: {topic!r}}}\ncards:\n" + "".join(cards)


@pytest.fixture
def home(isolated_home: Path) -> Path:
    isolated_home.mkdir(parents=True, exist_ok=True)
    return isolated_home


@pytest.fixture(scope="session")
def warm_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home whose deck cache holds the bundled decks (loading them costs ~0.3 s a time)."""
    import os

    from quiz.deck.cache import load_library_cached

    template = tmp_path_factory.mktemp("warm-home")
    saved = os.environ.get("SQLAQUIZ_HOME")
    os.environ["SQLAQUIZ_HOME"] = str(template)
    try:
        load_library_cached([])
    finally:
        if saved is None:
            del os.environ["SQLAQUIZ_HOME"]
        else:
            os.environ["SQLAQUIZ_HOME"] = saved
    return template


@pytest.fixture(autouse=True)
def _warm(warm_cache: Path, isolated_home: Path) -> None:
    """Each case starts with the bundled decks cached (and the key that signed them), as a
    user's machine does after the first command; what a case does to its home stays its own."""
    import shutil

    shutil.copytree(warm_cache, isolated_home, dirs_exist_ok=True)
