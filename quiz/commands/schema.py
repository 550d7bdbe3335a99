"""`sqlaquiz schema`: the deck format as a JSON Schema, for editors that validate YAML."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from quiz.commands import common
from quiz.errors import UsageError


def schema_text() -> str:
    from quiz.deck.schema import deck_schema

    return json.dumps(deck_schema(), indent=2) + "\n"


def write_schema(path: Path) -> Path:
    """Write the schema to `path` whole; its absolute path."""
    from quiz.paths import write_atomic

    path = path.expanduser().absolute()
    try:
        write_atomic(path, schema_text())
    except OSError as exc:
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
