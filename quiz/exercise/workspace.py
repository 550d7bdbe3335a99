"""Where the learner's copy of an exercise lives: one file per card under the data directory."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from quiz.deck.cards import Card
from quiz.errors import DataDirError, UsageError
from quiz.paths import MAX_DECK_BYTES, data_dir, read_text

FOLDER = "exercises"  # in the data directory


def workspace_dir() -> Path:
    """The folder of the learner's exercise files (made on first use)."""
    folder = data_dir() / FOLDER
    try:
        folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise DataDirError(f"cannot create {folder}: {exc.strerror or exc}") from None
    return folder


@dataclass(frozen=True)
class Stamp:
    """What a save changes about a file (an editor may write in place or replace the file)."""

    mtime_ns: int
    size: int
    inode: int

    @classmethod
    def of(cls, path: Path) -> Stamp | None:
        """The file's stamp now; None while it is missing (an editor between delete and write)."""
        try:
            info = os.stat(path)
        except OSError:
            return None
        return cls(info.st_mtime_ns, info.st_size, info.st_ino)


def prepare(card: Card, reset: bool = False) -> tuple[Path, bool]:
    """The learner's file for the card's exercise, and whether it was (re)written now.

    An existing file is the learner's last version and is kept; `reset` writes the starter
    again, after moving the old version to `<card>.py.bak`."""
    assert card.exercise is not None
    path = workspace_dir() / f"{card.id}.py"
    exists = os.path.lexists(path)
    if exists and not reset:
        return path, False
    try:
        if exists:
            os.replace(path, path.with_name(path.name + ".bak"))
        path.write_text(card.exercise.starter, encoding="utf-8")
    except OSError as exc:
        raise DataDirError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path, True


def read_code(path: Path) -> str:
    """The learner's code as saved now (a regular file of at most 8 MiB, UTF-8)."""
    try:
        return read_text(path, MAX_DECK_BYTES)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file (`--reset` writes the starter again)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read: {exc}") from None
