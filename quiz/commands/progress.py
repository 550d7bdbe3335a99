"""`export`, `import` and `reset`: moving and forgetting progress."""

from __future__ import annotations

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
            + (
                f" ({plural(added.skipped, 'review')} {'was' if added.skipped == 1 else 'were'}"
                " already here)"
                if added.skipped
                else ""
            )
            + (f"; {plural(added.interviews, 'mock interview')}" if added.interviews else ""),
        ),
        soft_wrap=True,
    )


def reset(card: str | None, *, yes: bool, decks: list[Path] | None) -> int:
    """Asks first (unless `yes`), writes a backup, then forgets; 1 when the user declines.
    Progress only: the card stays in its deck. With nothing to forget, says so and writes
    nothing (no backup)."""
    from quiz.deck.names import close_matches
    from quiz.progress import transfer
    from quiz.progress.store import open_default
    from quiz.ui.style import plural

    store = open_default()
    try:
        states = store.states()
        if card is not None and card not in states:
            loaded = common.library(decks)
            known = {c.id for c in loaded.cards} | set(states)
            if card not in known:
                raise UnknownCardError(card, close_matches(card, known))
        reviews = [r for r in store.reviews() if card is None or r.card_id == card]
        graded = len(states) if card is None else int(card in states)
        interviews = len(store.interviews()) if card is None else 0
        if not reviews and not graded and not interviews:
            common.console().print(
                common.labelled(
                    "",
                    "",
                    f"card {card!r} has no progress yet: nothing to forget (no backup written)"
                    if card
                    else "there is no progress yet: nothing to forget (no backup written)",
                ),
                soft_wrap=True,
            )
            return 0
        logged = plural(len(reviews), "review")
        if card is not None:
            what = f"your progress on card {card!r}"
            question = f"Forget {what} (its schedule and {logged})? The card stays in its deck"
        else:
            what = "ALL your progress"
            question = (
                f"Forget {what} ({plural(graded, 'card')} scheduled, {logged}"
                + (f", {plural(interviews, 'mock interview')}" if interviews else "")
                + ")? The cards stay in their decks"
            )
        if not yes and not _confirm(f"{question}; a backup is written first."):
            common.err_console().print("nothing was forgotten (pass --yes to skip the question)")
            return ChecksFailed.exit_code
        backup = transfer.backup(store)
        removed = store.reset(card)
    finally:
        store.close()
    common.console().print(
        common.labelled(
            "",
            "",
            f"forgot {what}: {plural(removed, 'review')} removed, the schedule reset "
            f"(the {'card stays' if card else 'cards stay'}); backup at {backup}",
        ),
        soft_wrap=True,
    )
    return 0


def _confirm(question: str) -> bool:
    """Ask yes/no; no answer (end of input) counts as no."""
    import typer

    try:
        return bool(typer.confirm(question, default=False))
    except (typer.Abort, EOFError):
        typer.echo()  # end the question's line: what follows is not an answer to it
        return False
