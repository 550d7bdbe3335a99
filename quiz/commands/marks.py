"""`sqlaquiz suspend` and `unsuspend`: keep cards out of reviews, or let them back in."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from quiz.commands import common
from quiz.errors import UsageError


def change(
    suspend: bool,
    card_ids: list[str],
    *,
    topics: list[str] | None,
    levels: list[str] | None,
    tags: list[str] | None,
    leeches: bool,
    as_json: bool,
    decks: list[Path] | None,
) -> None:
    """Suspend (or unsuspend) the cards named and those the filters select."""
    from quiz import config
    from quiz.clock import now
    from quiz.progress.store import open_default
    from quiz.ui import marks_view

    verb = "suspend" if suspend else "unsuspend"
    if not (card_ids or topics or levels or tags or leeches):
        raise UsageError(
            f"name the cards to {verb}: CARD_ID..., or --topic, --difficulty, --tag, --leeches"
        )
    library = common.library(decks)
    wanted = [library.get(card_id).id for card_id in card_ids]  # an unknown id: one line
    filtered = bool(topics or levels or tags or leeches)
    store = open_default()
    try:
        if filtered:
            selected = common.select(library, topics, levels, tags)
            if leeches:
                threshold = config.load().leech_threshold
                states = store.states()
                selected = [
                    c for c in selected if c.id in states and states[c.id].lapses >= threshold
                ]
            wanted += [c.id for c in selected]
        wanted = list(dict.fromkeys(wanted))
        done = store.suspend(wanted, now()) if suspend else store.unsuspend(wanted)
    finally:
        store.close()
    unchanged = [cid for cid in wanted if cid not in done]
    if as_json:
        typer.echo(json.dumps({f"{verb}ed": done, "unchanged": unchanged}, indent=2))
        return
    already = "already suspended" if suspend else "not suspended or buried"
    common.console().print(marks_view.changed(f"{verb}ed", done, unchanged, already))
