"""The learner's edits of examples, kept beside the cards: `e` in a session continues from the
last version instead of the card's code, in this session and the next ones.

One file per card, `<data dir>/edits/<card id>.py`. Saving the card's own code back (or an
empty file) forgets the edit.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from quiz.paths import MAX_DECK_BYTES, data_dir, read_text

_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


class KeptEdits:
    """Each card's last edit: in memory for the session, on disk for later (when it can be)."""

    def __init__(self, folder: Path | None = None) -> None:
        self._folder = folder
        self._edits: dict[str, str] = {}

    def folder(self) -> Path:
        return self._folder if self._folder is not None else data_dir() / "edits"

    def path(self, card_id: str) -> Path | None:
        """Where the card's edit is kept (None: its id cannot be a file name)."""
        return self.folder() / f"{card_id}.py" if _SAFE_ID.fullmatch(card_id) else None

    def kept(self, card_id: str) -> bool:
        """Whether an edit of the card is kept on disk."""
        path = self.path(card_id)
        return path is not None and path.is_file()

    def load(self, card_id: str) -> str | None:
        """The card's last edit, or None."""
        if card_id in self._edits:
            return self._edits[card_id]
        path = self.path(card_id)
        if path is None or not path.is_file():
            return None
        try:
            text = read_text(path, MAX_DECK_BYTES)
        except (OSError, UnicodeDecodeError):
            return None
        return text or None

    def keep(self, card_id: str, edited: str, original: str) -> Path | None:
        """Remember `edited` (forget it when it is the original or empty); where it is kept on
        disk, or None when it is not (forgotten, or the folder is not writable)."""
        path = self.path(card_id)
        if not edited.strip() or edited == original:
            self._edits.pop(card_id, None)
            if path is not None:
                with contextlib.suppress(OSError):
                    path.unlink(missing_ok=True)
            return None
        self._edits[card_id] = edited
        if path is None:
            return None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}")
            tmp.write_text(edited, encoding="utf-8")
            tmp.replace(path)
        except OSError:
            return None
        return path
