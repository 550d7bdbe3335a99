"""`export`, `import` and `reset`: moving and forgetting progress."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import typer

from quiz.commands import common
from quiz.errors import ChecksFailed, UnknownCardError


def export(file: Path, *, force: bool) -> None:
    from quiz.progress import transfer
    from quiz.progress.store import open_default
    from quiz.ui.style import plural

    store = open_default()
    try:
        progress = store.export()
    finally:
        store.close()
    data = transfer.to_json(progress)
    if progress.unreadable:
        common.err_console().print(
            common.labelled(
                "warning: ",
                "yellow",
                f"{plural(progress.unreadable, 'damaged row')} of the progress database could "
                "not be read and are left out; everything else is exported",
            )
        )
    if str(file) == "-":
        typer.echo(json.dumps(data, indent=2))
        return
    transfer.write_file(file, data, force=force)
    common.err_console().print(
        common.labelled(
            "",
            "",
            f"exported {plural(len(data['cards']), 'card state')} and "
            f"{plural(len(data['reviews']), 'review')} to {file}",
        )
    )


def import_(file: Path) -> None:
    from quiz.progress import transfer
    from quiz.progress.store import open_default
    from quiz.ui.style import plural

    progress = transfer.read_file(file)
    store = open_default()
    try:
        added = store.import_progress(progress)
    finally:
        store.close()
    common.console().print(
        common.labelled(
            "",
            "",
            f"imported {plural(added.reviews, 'new review')} and "
            f"{plural(added.cards, 'card state')} from {file}"
            + (f" ({added.skipped} reviews were already here)" if added.skipped else "")
            + (f"; {plural(added.interviews, 'mock interview')}" if added.interviews else ""),
        ),
        soft_wrap=True,
    )


def reset(card: str | None, *, yes: bool, decks: list[Path] | None) -> int:
    """Asks first (unless `yes`), writes a backup, then forgets; 1 when the user declines."""
    from quiz.progress import transfer
    from quiz.progress.store import open_default

    store = open_default()
    try:
        if card is not None and card not in store.states():
            loaded = common.library(decks)
            known = {c.id for c in loaded.cards} | set(store.states())
            if card not in known:
                raise UnknownCardError(card, difflib.get_close_matches(card, sorted(known), n=3))
        what = f"card {card!r}" if card else "ALL progress"
        if not yes and not _confirm(f"Delete {what}? A backup is written first"):
            common.err_console().print("nothing was deleted (pass --yes to skip the question)")
            return ChecksFailed.exit_code
        backup = transfer.backup(store)
        removed = store.reset(card)
    finally:
        store.close()
    common.console().print(
        common.labelled("", "", f"reset {what}: {removed} reviews removed; backup at {backup}"),
        soft_wrap=True,
    )
    return 0


def _confirm(question: str) -> bool:
    """Ask yes/no; no answer (end of input) counts as no."""
    import typer

    try:
        return bool(typer.confirm(question, default=False))
    except (typer.Abort, EOFError):
        return False
