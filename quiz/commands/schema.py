"""`sqlaquiz schema`: the deck format as a JSON Schema, for editors that validate YAML."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from quiz.commands import common
from quiz.errors import UsageError


def schema_text() -> str:
    from quiz.deck.schema import deck_schema

    return json.dumps(deck_schema(), indent=2) + "\n"


def write_schema(path: Path) -> Path:
    """Write the schema to `path` whole (through a temporary file beside it); its absolute path."""
    path = path.expanduser().absolute()
    try:
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(schema_text())
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def schema(file: Path | None) -> None:
    """Print the schema, or write it to FILE and print the modeline that points at it."""
    from quiz.deck.schema import MODELINE

    if file is None or str(file) == "-":
        sys.stdout.write(schema_text())
        return
    written = write_schema(file)
    console = common.console()
    console.print(common.labelled("", "", f"wrote {written}"))
    console.print(common.labelled("", "", "put this line at the top of a deck file:"))
    console.print(common.labelled("", "", f"{MODELINE}{written}"), soft_wrap=True)
