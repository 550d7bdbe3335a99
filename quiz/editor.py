"""Editing an example: the user's editor on a copy of the code, then both versions run."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from quiz.errors import UsageError
from quiz.paths import MAX_DECK_BYTES, read_text
from quiz.sandbox.client import Runner, RunResult


def editor_command() -> tuple[str, list[str]]:
    """The editor to start, as (the command as set, its argv), from the `editor` setting
    ($SQLAQUIZ_EDITOR, the config file, $VISUAL, $EDITOR: quiz/config.py); vi in a terminal
    when nothing names one. UsageError, in one line, for a value that cannot be a command:
    badly quoted (`vim "x`), a folder or a file that is not executable."""
    from quiz import config

    settings = config.load()
    editor = settings.editor or None
    source = settings.source("editor")
    said = f"${source.where}" if source.kind == "env" else f"the editor setting ({source})"
    if editor is None:
        if not sys.stdin.isatty():
            # vi without a terminal would wait for ever
            raise UsageError("no terminal to edit in: set $EDITOR to edit without one")
        return "vi", ["vi"]
    try:
        argv = shlex.split(editor)
    except ValueError as exc:  # an unclosed quote
        raise UsageError(f"{said} is {editor!r}, which is not a command ({exc})") from None
    if not argv:
        raise UsageError(f"{said} is empty: set it to an editor command, e.g. nano")
    program = argv[0]
    if os.sep in program:
        if os.path.isdir(program):
            raise UsageError(f"{said} is {editor!r}, a folder, not an editor")
        if os.path.exists(program) and not os.access(program, os.X_OK):
            raise UsageError(f"{said} is {editor!r}, which is not executable")
    return editor, argv


def edit_in_editor(source: str, name: str) -> str:
    """Open `source` in the editor setting (see `editor_command`) and return what was saved."""
    editor, argv = editor_command()
    with tempfile.TemporaryDirectory(prefix="sqlaquiz-edit-") as folder:
        path = Path(folder) / f"{name}.py"
        path.write_text(source, encoding="utf-8")
        try:
            done = subprocess.run([*argv, str(path)], check=False)
        except FileNotFoundError:
            raise UsageError(f"cannot start the editor {editor!r}; set $EDITOR") from None
        except OSError as exc:  # a folder or a file we may not run, found on $PATH
            reason = exc.strerror or str(exc)
            raise UsageError(
                f"cannot start the editor {editor!r} ({reason}); set $EDITOR"
            ) from None
        if done.returncode != 0:
            raise UsageError(f"the editor {editor!r} exited with status {done.returncode}")
        try:  # whatever the editor left there: a regular file of at most 8 MiB
            return read_text(path, MAX_DECK_BYTES)
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read what the editor saved: {exc}") from None


@dataclass(frozen=True)
class CellOutcome:
    """What one cell did in one run, as the comparison shows it."""

    queries: int | None  # None: the cell is in the code but did not run
    error: str | None = None  # the exception's type, when the cell raised
    expected: bool = False  # the card says the example raises exactly this


@dataclass(frozen=True)
class CellChange:
    """One cell, in the original and in the edit (None: not in that version's code)."""

    title: str
    original: CellOutcome | None
    edited: CellOutcome | None


def _outcomes(source: str, result: RunResult, expected: str | None) -> dict[str, CellOutcome]:
    from quiz.sandbox.cells import split_cells

    outcomes = {c.title: CellOutcome(None) for c in split_cells(source)}
    for cell in result.cells:
        err = cell.error
        outcomes[cell.title] = CellOutcome(
            cell.queries,
            err.type if err is not None else None,
            err is not None and expected is not None and err.matches(expected),
        )
    return outcomes


def edit_failures(result: RunResult, expected: str | None) -> list[str]:
    """What went wrong in an edit's run, judged as the card judges its own: raising the
    exception the card says it raises is no failure."""
    err = result.error
    if result.crash is None and err is not None and expected and err.matches(expected):
        return []
    problem = result.problem()
    return [problem] if problem else []


@dataclass(frozen=True)
class EditedRun:
    """An example and the user's edit of it, both run: what `run --edit` and a session's `e`
    key show and compare."""

    source: str
    edited: str
    original: RunResult
    result: RunResult  # the edited version's

    @property
    def unchanged(self) -> bool:
        return self.edited == self.source

    def changes(self, expected: str | None = None) -> list[CellChange]:
        """Every cell of either version, in order (the edit's new cells after the ones they
        follow); `expected`: the exception the card says the example raises."""
        before = _outcomes(self.source, self.original, expected)
        after = _outcomes(self.edited, self.result, expected)
        titles = list(dict.fromkeys([*before, *after]))
        return [CellChange(t, before.get(t), after.get(t)) for t in titles]


def edit_and_run(
    runner: Runner,
    source: str,
    *,
    name: str,
    filename: str,
    edited_filename: str,
    start: str | None = None,
    on_edited: Callable[[str], object] | None = None,
) -> EditedRun:
    """Open `start` (an earlier edit; default `source`) in the editor as `name`.py, hand what
    was saved to `on_edited`, then run the original and the user's version with the same
    runner. UsageError when no editor can run."""
    edited = edit_in_editor(start if start is not None else source, name)
    if on_edited is not None:
        on_edited(edited)
    original = runner.run(source, filename=filename)
    return EditedRun(source, edited, original, runner.run(edited, filename=edited_filename))
