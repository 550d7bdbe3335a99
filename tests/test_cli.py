"""The command line as a whole: help everywhere, light start-up, one-line errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from quiz import __version__
from quiz.cli import app

cli = CliRunner()
EXPECTED_COMMANDS = [
    "start",
    "run",
    "practice",
    "validate",
    "list",
    "topics",
    "show",
    "stats",
    "export",
    "import",
    "reset",
    "optimize",
    "schema",
    "new",
    "trust",
    "suspend",
    "unsuspend",
    "config",
    "interview",
]


def test_command_set() -> None:
    group = get_command(app)
    assert list(group.commands) == EXPECTED_COMMANDS  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", EXPECTED_COMMANDS)
def test_every_command_has_help(name: str) -> None:
    command = get_command(app).commands[name]  # type: ignore[attr-defined]
    assert command.help and len(command.help.strip()) > 20
    for param in command.params:
        if param.name not in ("help",) and getattr(param, "help", None) is not None:
            assert param.help.strip()
    result = cli.invoke(app, [name, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_version() -> None:
    result = cli.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"sqlaquiz {__version__}\n"


def test_help_imports_no_heavy_modules() -> None:
    probe = (
        "import sys\n"
        "from quiz.cli import app\n"
        "try:\n"
        "    app(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('sqlalchemy', 'fastapi', 'pydantic') if m in sys.modules]\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "HEAVY []" in done.stderr


def test_python_dash_m_quiz_works() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "quiz", "--version"], capture_output=True, text=True, check=True
    )
    assert done.stdout == f"sqlaquiz {__version__}\n"


def test_list_json_lists_bundled_cards() -> None:
    result = cli.invoke(app, ["list", "--json"])
    assert result.exit_code == 0, result.output
    cards = json.loads(result.stdout)
    assert len(cards) >= 45
    assert {"id", "topic", "difficulty", "state", "due"} <= set(cards[0])
    assert {c["state"] for c in cards} == {"new"}


def test_unknown_card_is_one_line_with_suggestions() -> None:
    result = cli.invoke(app, ["show", "rel-lazy-n-plus-on"])
    assert result.exit_code == 4
    assert result.stdout == ""
    assert result.stderr.startswith("error: no card with id 'rel-lazy-n-plus-on' — did you mean ")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_unknown_topic_lists_valid_ones() -> None:
    result = cli.invoke(app, ["list", "--topic", "nosuch"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: unknown topic 'nosuch'; topics are: ")
    assert "relationships" in result.stderr


def test_unknown_difficulty() -> None:
    result = cli.invoke(app, ["start", "--difficulty", "extreme"])
    assert result.exit_code == 2
    assert result.stderr == "error: unknown difficulty 'extreme'; use one of: easy, medium, hard\n"


def test_unusable_data_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SQLAQUIZ_HOME", str(blocker / "sub"))
    result = cli.invoke(app, ["stats"])
    assert result.exit_code == 5
    assert result.stderr.startswith(f"error: cannot create the data directory {blocker / 'sub'}")
    assert result.stderr.count("\n") == 1


def test_bad_user_deck_warns_and_bundled_cards_still_load(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("topic: {slug: x, name: X}\ncards:\n  - id: x-1\n    difficulty: 7\n")
    result = cli.invoke(app, ["list", "--json", "--deck", str(bad)])
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)) >= 45
    assert result.stderr.startswith(f"warning: {bad}:4: card 'x-1': field 'difficulty': ")


def test_validate_schema_of_a_bad_deck_fails(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("topic: {slug: x, name: X}\ncards:\n  - id: x-1\n    difficulty: 7\n")
    result = cli.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 3
    assert "0 valid cards, 3 problems" in result.stdout


def test_run_needs_a_card_or_a_file() -> None:
    result = cli.invoke(app, ["run"])
    assert result.exit_code == 2
    assert result.stderr == "error: give a CARD_ID or --file PATH (one of them)\n"


def test_run_file_shows_counts(tmp_path: Path) -> None:
    script = tmp_path / "mine.py"
    script.write_text(
        "from sqlalchemy import create_engine, text\n"
        "e = create_engine('sqlite://')\n"
        "with e.connect() as c:\n"
        "    print(c.execute(text('select 40 + 2')).scalar())\n"
    )
    result = cli.invoke(app, ["run", "--file", str(script), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["queries"] == 1
    assert data["error"] is None and data["timed_out"] is False
    assert data["cells"][0]["stdout"] == "42\n"
    assert data["cells"][0]["statements"][0]["sql"] == "select 40 + 2"


def test_run_file_reports_the_exception_and_fails(tmp_path: Path) -> None:
    script = tmp_path / "boom.py"
    script.write_text("x = 1\nraise ValueError('nope')\n")
    result = cli.invoke(app, ["run", "--file", str(script)])
    assert result.exit_code == 1
    assert "✗ ValueError at line 2: nope" in result.stdout


def test_run_missing_file() -> None:
    result = cli.invoke(app, ["run", "--file", "/no/such/file.py"])
    assert result.exit_code == 2
    assert result.stderr == "error: /no/such/file.py: no such file\n"


def test_export_prints_a_script_that_runs_with_plain_python(tmp_path: Path) -> None:
    from quiz.deck.loader import load_library

    card = load_library().get("rel-lazy-loop-n-plus-one")
    result = cli.invoke(app, ["run", card.id, "--export"])
    assert result.exit_code == 0
    assert result.stdout.startswith(f"# sqlaquiz card {card.id} (Relationships & loading, easy)\n")
    assert result.stdout.endswith(card.example or "")
    script = tmp_path / "example.py"
    script.write_text(result.stdout)
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert "author0 2" in done.stdout


def test_edit_runs_your_version_and_compares_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = tmp_path / "editor.py"
    editor.write_text(  # the "user" switches the lazy loop to selectinload
        "import sys, pathlib\n"
        "p = pathlib.Path(sys.argv[1])\n"
        "s = p.read_text()\n"
        "s = s.replace('select(Author)', 'select(Author).options(selectinload(Author.books))')\n"
        "s = s.replace('import DeclarativeBase,', 'import selectinload, DeclarativeBase,')\n"
        "p.write_text(s)\n"
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    result = cli.invoke(app, ["run", "rel-lazy-loop-n-plus-one", "--edit"])
    assert result.exit_code == 0, result.output
    assert "original → your edit" in result.stdout
    assert re.search(r"lazy loop\s+│\s+6 │\s+2 │ changed", result.stdout), result.stdout[-1500:]


def test_sqlaquiz_decks_adds_user_decks(monkeypatch: pytest.MonkeyPatch) -> None:
    deck = Path(__file__).parent / "data" / "practice.yaml"
    monkeypatch.setenv("SQLAQUIZ_DECKS", str(deck))
    result = cli.invoke(app, ["list", "--json", "--topic", "practice"])
    assert result.exit_code == 0
    assert [c["id"] for c in json.loads(result.stdout)] == ["p-plain", "p-count", "p-raise"]


def test_edit_without_an_editor_or_a_terminal_is_an_error() -> None:
    result = cli.invoke(app, ["run", "rel-lazy-loop-n-plus-one", "--edit"])
    assert result.exit_code == 2
    assert result.stderr == "error: no terminal to edit in: set $EDITOR to edit without one\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["start", "--retention", "1.5"],
            "error: Invalid value for '--retention': Input should be less than or equal to 0.99 "
            "(see 'root start --help')\n",
        ),
        (["list", "--foo"], "error: No such option: --foo (see 'root list --help')\n"),
        (["nosuch"], "error: No such command 'nosuch'. (see 'root --help')\n"),
        (["--bogus"], "error: No such option: --bogus (see 'root --help')\n"),
        (
            ["list", "--deck"],
            "error: Option '--deck' requires an argument. (see 'root list --help')\n",
        ),
    ],
)
def test_bad_options_are_one_line_errors(args: list[str], message: str) -> None:
    result = cli.invoke(app, args)
    assert result.exit_code == 2
    assert result.stderr == message


def test_ctrl_c_outside_a_session_does_not_talk_about_grades(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from quiz.commands import run as examples

    def interrupted(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(examples, "run_and_report", interrupted)
    result = cli.invoke(app, ["run", "rel-lazy-loop-n-plus-one"])
    assert result.exit_code == 130
    assert result.stderr == "\ninterrupted\n"


def test_unknown_tag_suggests_close_ones() -> None:
    result = cli.invoke(app, ["list", "--tag", "selectin"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no card has the tag 'selectin' — did you mean ")
    assert "selectinload" in result.stderr


def test_jobs_are_capped_by_cores_and_free_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from rich.console import Console

    from quiz.commands.validate import workers_for

    monkeypatch.setattr("os.cpu_count", lambda: 2)
    out = io.StringIO()
    err = Console(file=out, width=200)
    assert workers_for(0, err, available_mb=20_000) == 2
    assert workers_for(3, err, available_mb=20_000) == 3
    assert workers_for(16, err, available_mb=20_000) == 4
    assert (
        err.file.getvalue()
        == "--jobs 16: using 4 (2 cores, each run may use 1 GiB, 19.5 GiB free)\n"
    )  # type: ignore[attr-defined]
    assert workers_for(4, None, available_mb=2_400) == 2  # two runs of 1 GiB + their workers
    assert workers_for(0, None, available_mb=500) == 1
