"""`sqlaquiz run`: a card's example or the user's script, with the SQL log; --export, --edit.

A run from the shell is one-shot: its worker is cold (quiz/sandbox/worker.py) and often already
started (quiz/commands/early.py), the example's code is drawn while it runs, and what a run does
not show is not imported (`--json` loads no Rich).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from quiz.commands import common, early
from quiz.errors import ChecksFailed, UsageError
from quiz.sandbox.client import Runner, RunResult
from quiz.sandbox.engines import DATABASES

if TYPE_CHECKING:
    from rich.console import Console

    from quiz.deck.cards import Card
    from quiz.editor import EditedRun


def read_script(path: Path) -> str:
    """The script at `path`: a regular file of at most 8 MiB (a FIFO is refused, not waited on)."""
    from quiz.paths import MAX_DECK_BYTES, read_text

    try:
        return read_text(path, MAX_DECK_BYTES)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read: {exc}") from None


def card_source(card: Card) -> str:
    if not card.example:
        raise UsageError(f"card {card.id!r} has no example to run")
    return card.example


def export_script(card: Card, source: str) -> str:
    """The example as a script that runs unchanged with plain `python`."""
    first = card.question.strip().splitlines()[0]
    header = (
        f"# sqlaquiz card {card.id} ({card.topic_name}, {card.difficulty})\n"
        f"# {first}\n"
        f"# Run it with: python {card.id}.py\n\n"
    )
    return header + source.rstrip("\n") + "\n"


def _failures(card: Card | None, result: RunResult) -> list[str]:
    if card is None:
        return _plain_failures(result)
    from quiz.deck.checks import check

    return check(card, result).failures


def _print_json(data: Mapping[str, object]) -> None:
    typer.echo(json.dumps(data, indent=2))


def run_and_report(
    source: str,
    label: str,
    card: Card | None,
    *,
    timeout: float,
    as_json: bool,
    edit: bool,
    database: str = "sqlite",
    full: bool = False,
) -> int:
    """Run, show the report (or JSON), return the exit code: 0 when the run holds up.
    `full`: every statement of the setup cell, not a line that sums them up."""
    name = f"{card.id}.py" if card else Path(label).name
    filename = f"{label}.py" if card else label
    script = None if card else label  # a script runs as `python script.py` would
    consoles: list[Console] = []  # made after the request is sent: Rich takes a while

    def load_checks() -> None:  # while the example runs, rather than after
        import quiz.deck.checks  # noqa: F401

    def show_code() -> None:
        """While the example runs: the report starts with its code; and what draws the rest
        is loaded now rather than after the run."""
        from quiz.ui import card_view

        consoles.append(common.console())
        consoles[0].print(card_view.code(source, title=name))
        import quiz.ui.run_report  # noqa: F401

        load_checks()

    with (
        common.database(database) as db,
        Runner(timeout=timeout, database=db, warm=False, prestarted=early.take()) as runner,
    ):
        if edit:
            from quiz.editor import edit_and_run

            both = edit_and_run(
                runner,
                source,
                name=Path(name).stem,
                filename=filename,
                edited_filename=f"{label}-edited.py",
                script=script,
            )
            edited = both.edited or None  # an emptied file counts as no edit
            return _report(both.original, card, as_json, source, name, consoles, edited, both, full)
        result = runner.run(
            source,
            filename=filename,
            meanwhile=load_checks if as_json else show_code,
            script=script,
        )
        # Drawn before the runner closes: the worker tidies up after the run meanwhile.
        return _report(result, card, as_json, source, name, consoles, full=full)


def _report(
    result: RunResult,
    card: Card | None,
    as_json: bool,
    source: str,
    name: str,
    consoles: list[Console],
    edited: str | None = None,
    both: EditedRun | None = None,
    full: bool = False,
) -> int:
    """Print the run (and the edited version's) as JSON or as a report; the exit code.
    `consoles`: the console that already drew the code, if one did."""
    from quiz.editor import edit_failures

    failures = _failures(card, result)
    expected = _expected(card, result.database)
    edited_result = both.result if both is not None and edited is not None else None
    edited_failures = edit_failures(edited_result, expected) if edited_result else []
    if as_json:
        from quiz.ui.run_json import run_json

        data = run_json(card.id if card else None, result, failures)
        if edited_result is not None:
            data["edited"] = run_json(None, edited_result, edited_failures)
        _print_json(data)
        return 0 if not failures else 1
    from quiz.ui import run_report as render

    fold = None if full else FOLDED_SETUP
    console = consoles[0] if consoles else common.console()
    if edited_result is None:
        shown = None if consoles else source
        console.print(
            render.report(result, shown, failures, expected=expected, title=name, fold_setup=fold)
        )
        return 0 if not failures else 1
    assert edited is not None and both is not None
    console.print(render.Text("Your edited version:", style="bold"))
    console.print(
        render.report(
            edited_result,
            edited,
            edited_failures,
            expected=expected,
            title=f"{name} (edited)",
            fold_setup=fold,
        )
    )
    console.print(render.compare_counts(both, expected))
    if edited == source:
        console.print(render.Text("(you saved it unchanged)", style="dim"))
    return 0 if not edited_failures else ChecksFailed.exit_code


FOLDED_SETUP = "--full shows them"  # what the setup cell's one line says


def _expected(card: Card | None, database: str) -> str | None:
    """The exception the card says a run on `database` raises, if any."""
    return card.expect_for(database).raises if card is not None else None


def _plain_failures(result: RunResult) -> list[str]:
    problem = result.problem()
    return [problem] if problem else []


def run_on_both(
    source: str, label: str, card: Card | None, *, timeout: float, as_json: bool, show_sql: bool,
    full: bool = False,
) -> int:  # fmt: skip
    """`--db both`: the example on SQLite and on PostgreSQL, compared cell by cell."""
    results: dict[str, RunResult] = {}
    filename = f"{label}.py" if card else label
    for database in DATABASES:
        with (
            common.database(database) as db,
            Runner(timeout=timeout, database=db, warm=False) as runner,
        ):
            results[database] = runner.run(
                source, filename=filename, script=None if card else label
            )
    failures = {name: _failures(card, result) for name, result in results.items()}
    ok = not any(failures.values())
    if as_json:
        from quiz.ui.run_json import run_json

        data = {
            "card": card.id if card else None,
            "databases": {
                name: run_json(card.id if card else None, result, failures[name])
                for name, result in results.items()
            },
        }
        _print_json(data)
        return 0 if ok else ChecksFailed.exit_code
    from quiz.ui import card_view
    from quiz.ui import run_report as render

    console = common.console()
    title = f"{card.id}.py" if card else Path(label).name
    if show_sql:
        for name, result in results.items():
            console.print(render.Text(f"On {render.DATABASE_NAMES[name]}:", style="bold"))
            console.print(
                render.report(
                    result, None, failures[name], title=title,
                    fold_setup=None if full else FOLDED_SETUP,
                )
            )  # fmt: skip
    else:
        console.print(card_view.code(source, title=title))
    console.print(render.compare_databases(results, failures))
    return 0 if ok else ChecksFailed.exit_code


def run(
    card_id: str | None,
    file: Path | None,
    *,
    export: bool,
    edit: bool,
    as_json: bool,
    timeout: float | None,
    decks: list[Path] | None,
    database: str | None = None,
    show_sql: bool = False,
    full: bool = False,
) -> int:
    """The `run` command; returns its exit code. --timeout and --db left out: the settings'."""
    from quiz import config

    if (card_id is None) == (file is None):
        raise UsageError("give a CARD_ID or --file PATH (one of them)")
    settings = config.load().override(timeout=timeout, db=database)
    database, timeout = settings.db, settings.timeout
    if database not in (*DATABASES, "both"):
        raise UsageError(f"--db {database!r}: use sqlite, postgresql or both")
    if database == "both" and edit:
        raise UsageError("--edit runs on one database: use --db sqlite or --db postgresql")
    if file is not None:
        source, label, card = read_script(file), str(file), None
    else:
        assert card_id is not None
        library = common.library(decks)
        card = library.get(card_id)
        source, label = card_source(card), card.id
        if not export:
            common.require_trusted(library, [card])
    if export:
        script = export_script(card, source) if card else source
        if sys.stdout.isatty():  # to a file it is the script as written; on screen, as text
            from quiz.ui.safe import safe

            script = safe(script)
        typer.echo(script, nl=False)
        return 0
    if card is not None:
        common.check_runs_on(card, database)
    if database == "both":
        return run_on_both(
            source, label, card, timeout=timeout, as_json=as_json, show_sql=show_sql, full=full
        )
    return run_and_report(
        source, label, card, timeout=timeout, as_json=as_json, edit=edit, database=database,
        full=full,
    )  # fmt: skip
