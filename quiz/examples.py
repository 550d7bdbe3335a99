"""Running examples for the commands: a card's, a user's script, an edited copy, or a whole deck."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.text import Text

from quiz import render
from quiz.cards import Card, Library
from quiz.errors import ChecksFailed, DeckError, UsageError
from quiz.runner import Runner, RunResult
from quiz.style import plural
from quiz.verify import check


def read_script(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
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


def edit_in_editor(source: str, name: str) -> str:
    """Open `source` in $VISUAL / $EDITOR (vi in a terminal) and return what was saved."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if editor is None:
        if not sys.stdin.isatty():
            # vi without a terminal would wait for ever
            raise UsageError("no terminal to edit in: set $EDITOR to edit without one")
        editor = "vi"
    with tempfile.TemporaryDirectory(prefix="sqlaquiz-edit-") as folder:
        path = Path(folder) / f"{name}.py"
        path.write_text(source, encoding="utf-8")
        try:
            done = subprocess.run([*shlex.split(editor), str(path)], check=False)
        except FileNotFoundError:
            raise UsageError(f"cannot start the editor {editor!r}; set $EDITOR") from None
        if done.returncode != 0:
            raise UsageError(f"the editor {editor!r} exited with status {done.returncode}")
        return path.read_text(encoding="utf-8")


def run_and_report(
    console: Console,
    source: str,
    label: str,
    card: Card | None,
    *,
    timeout: float,
    as_json: bool,
    edit: bool,
) -> int:
    """Run, show the report (or JSON), return the exit code: 0 when the run holds up."""
    name = f"{card.id}.py" if card else Path(label).name
    edited = edit_in_editor(source, Path(name).stem) if edit else None
    with Runner(timeout=timeout) as runner:
        result = runner.run(source, filename=f"{label}.py" if card else label)
        edited_result = runner.run(edited, filename=f"{label}-edited.py") if edited else None
    failures = check(card, result).failures if card is not None else _plain_failures(result)
    if as_json:
        data = render.run_json(card.id if card else None, result, failures)
        if edited_result is not None:
            data["edited"] = render.run_json(None, edited_result, _plain_failures(edited_result))
        console.print(
            json.dumps(data, indent=2), markup=False, highlight=False, emoji=False, soft_wrap=True
        )
        return 0 if not failures else 1
    if edited_result is None:
        render.run_report(console, result, source, failures, expected=_expected(card), title=name)
        return 0 if not failures else 1
    assert edited is not None
    console.print(render.Text("Your edited version:", style="bold"))
    render.run_report(
        console, edited_result, edited, _plain_failures(edited_result), title=f"{name} (edited)"
    )
    console.print(render.compare_counts(result, edited_result))
    if edited == source:
        console.print(render.Text("(you saved it unchanged)", style="dim"))
    return 0 if edited_result.ok else ChecksFailed.exit_code


def _expected(card: Card | None) -> str | None:
    return card.expect.raises if card is not None and card.expect is not None else None


def _plain_failures(result: RunResult) -> list[str]:
    problem = result.problem()
    return [problem] if problem else []


def validate(
    console: Console,
    err: Console,
    library: Library,
    run_examples: bool,
    *,
    card_ids: list[str],
    jobs: int,
    timeout: float,
) -> int:
    """Schema problems, then (with --run) every example against its claims; 0 if all hold."""
    for problem in library.problems:
        err.print(Text("✗ ", style="red") + Text(str(problem)))
    cards = library.cards
    if card_ids:
        cards = [library.get(cid) for cid in card_ids]
    if not run_examples:
        ok = not library.problems
        summary = f"{plural(len(cards), 'valid card')}, {plural(len(library.problems), 'problem')}"
        console.print(
            f"[{'green' if ok else 'red'}]{'✓' if ok else '✗'}[/] {summary}", highlight=False
        )
        return DeckError.exit_code if library.problems else 0
    runnable = [c for c in cards if c.example]
    with Runner(timeout=timeout, workers=jobs) as runner:
        results = runner.run_many([(c.example or "", f"{c.id}.py") for c in runnable])
    by_id = dict(zip([c.id for c in runnable], results, strict=True))
    rows: list[tuple[Card, RunResult | None, list[str]]] = []
    failed = 0
    for card in cards:
        result = by_id.get(card.id)
        failures = check(card, result).failures if result is not None else []
        failed += bool(failures)
        rows.append((card, result, failures))
    console.print(render.validate_table(rows))
    problems = len(library.problems)
    ok = not failed and not problems
    mark = "[green]✓[/]" if ok else "[red]✗[/]"
    console.print(
        f"{mark} {plural(len(runnable), 'example')} run, {failed} failed, "
        f"{plural(problems, 'deck problem')}",
        highlight=False,
    )
    if problems:
        return DeckError.exit_code
    return 0 if ok else ChecksFailed.exit_code
