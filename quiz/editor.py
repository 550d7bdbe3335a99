"""Opening the user's editor on a copy of some code and reading back what they saved."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from quiz.errors import UsageError


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
