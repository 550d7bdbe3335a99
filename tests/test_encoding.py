"""Every command on a terminal that cannot show Unicode (`LC_ALL=C PYTHONUTF8=0`): ASCII
stand-ins, never a UnicodeEncodeError."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from quiz.ui.encoding import stand_in, typed_text
from tests.test_terminal import DECK, sqlaquiz_command

NOW = "2026-03-02T09:00:00+00:00"


def c_locale(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "PYTHONIO"))}
    return {**env, "LC_ALL": "C", "PYTHONUTF8": "0", "SQLAQUIZ_HOME": str(home), "COLUMNS": "90"}


def sqlaquiz(env: dict[str, str], *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    done = subprocess.run(
        [*sqlaquiz_command(), *args], env=env, input=stdin, capture_output=True, check=False
    )
    assert b"Traceback" not in done.stderr, done.stderr.decode("ascii", "replace")
    assert b"UnicodeEncodeError" not in done.stdout + done.stderr
    done.stdout.decode("ascii")  # plain ASCII, every byte of it
    done.stderr.decode("ascii")
    return done


COMMANDS = ["start", "run", "validate", "list", "topics", "show", "stats"]
COMMANDS += ["export", "import", "reset", "trust"]


@pytest.mark.slow
def test_every_command_works_in_the_c_locale(isolated_home: Path, tmp_path: Path) -> None:
    env = c_locale(isolated_home)
    for command in ["", *COMMANDS]:
        assert sqlaquiz(env, *filter(None, [command]), "--help").returncode == 0, command
    assert sqlaquiz(env, "trust", DECK).returncode == 0
    deck = ("--deck", DECK)
    # a session: a typed answer with an accent (UTF-8 bytes the C locale cannot decode)
    session = sqlaquiz(
        {**env, "SQLAQUIZ_NOW": NOW},
        "start",
        *deck,
        "--topic",
        "practice",
        stdin="caf\u00e9 \u2192 identity map\n3\n2\n4\ny\n3\nq\n".encode(),
    )
    assert session.returncode == 0
    assert b"v Right. You predicted 2; the 'two' cell sent 2 queries." in session.stdout
    assert b"+- session summary -" in session.stdout  # Rich's boxes in ASCII
    for args in (
        ["list", *deck],
        ["list", "--json", *deck],
        ["topics", *deck],
        ["show", "p-count", "--answer", *deck],
        ["stats", *deck],
        ["run", "p-count", *deck],
        ["run", "sess-identity-map"],
        ["validate", DECK],
        ["validate", "--run", DECK],
        ["trust", "--list"],
        ["export", str(tmp_path / "out.json")],
        ["import", str(tmp_path / "out.json")],
        ["reset", "--card", "p-plain", "--yes", *deck],
        ["reset", "--yes"],
    ):
        assert sqlaquiz(env, *args).returncode == 0, args
    exported = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    # what was typed is kept as typed
    assert exported["reviews"][0]["typed_answer"] == "caf\u00e9 \u2192 identity map"
    # an error message, too
    assert sqlaquiz(env, "show", "no-such-card").returncode != 0


def test_stand_ins_keep_the_width() -> None:
    assert [stand_in(c) for c in "✓✗·—→…│╭é€"] == ["v", "x", "-", "-", ">", ".", "|", "+", "e", "?"]


def test_a_c_locale_reads_utf8_bytes_back_as_text() -> None:
    class Ascii:
        encoding = "ascii"

    undecoded = "caf\u00e9".encode().decode("ascii", "surrogateescape")
    assert typed_text(undecoded, Ascii()) == "caf\u00e9"  # type: ignore[arg-type]
    assert typed_text("plain") == "plain"
