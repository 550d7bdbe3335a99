"""Editing an example: the user's editor on a copy of the code, then both versions run."""

from __future__ import annotations

import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from quiz.errors import UsageError
from quiz.paths import MAX_DECK_BYTES, read_text
from quiz.sandbox.client import Runner, RunResult


def edit_in_editor(source: str, name: str) -> str:
    """Open `source` in the editor setting ($SQLAQUIZ_EDITOR, the config file, $VISUAL, $EDITOR;
    vi in a terminal) and return what was saved."""
    editor = chosen_editor()
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
        try:  # whatever the editor left there: a regular file of at most 8 MiB
            return read_text(path, MAX_DECK_BYTES)
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read what the editor saved: {exc}") from None


def chosen_editor() -> str | None:
    """The `editor` setting (quiz/config.py), None when nothing names one."""
    from quiz import config

    return config.load().editor or None


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


def edit_and_run(
    runner: Runner, source: str, *, name: str, filename: str, edited_filename: str
) -> EditedRun:
    """Open `source` in the editor as `name`.py, then run the original and the user's version
    with the same runner. UsageError when no editor can run."""
    edited = edit_in_editor(source, name)
    original = runner.run(source, filename=filename)
    return EditedRun(source, edited, original, runner.run(edited, filename=edited_filename))
