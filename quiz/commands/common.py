"""What every command shares: the consoles, the loaded decks, card filters, the clock, the store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from quiz.deck.cards import Card, Library
    from quiz.progress.store import Store
    from quiz.sandbox.engines import Database


def labelled(label: str, style: str, message: str) -> Any:
    """`label` styled, then the message as plain text: values from users (paths, ids, topic
    names) must never be read as Rich markup, nor their control characters obeyed."""
    from rich.text import Text

    from quiz.ui.safe import safe

    text = Text(label, style=style)
    text.append(safe(message))
    return text


def console() -> Console:
    from rich.console import Console

    return Console(highlight=False)


def err_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def library(decks: list[Path] | None) -> Library:
    """Bundled + user decks; each problem becomes one warning line, the rest still loads.
    Which decks may run their examples is marked (`Library.trusted`)."""
    from quiz.deck import trust
    from quiz.deck.cache import load_library_cached
    from quiz.paths import user_deck_paths

    loaded = trust.mark(load_library_cached(user_deck_paths(decks)))
    if loaded.problems:  # Rich only when there is something to say (`run --json` loads none)
        err = err_console()
        for problem in loaded.problems:
            err.print(labelled("warning: ", "yellow", str(problem)))
    return loaded


def select(
    loaded: Library, topics: list[str] | None, levels: list[str] | None, tags: list[str] | None
) -> list[Card]:
    from quiz.deck.filters import select_cards

    return select_cards(loaded, topics or [], levels or [], tags or [])


def clock() -> Any:
    """$SQLAQUIZ_NOW (ISO 8601) freezes the clock and turns FSRS fuzzing off: exact,
    reproducible schedules for tests and demos."""
    from quiz.clock import fixed_clock

    return fixed_clock(os.environ.get("SQLAQUIZ_NOW"))


@contextmanager
def existing_store() -> Iterator[Store | None]:
    """The store if one exists yet (views work, empty, before the first review); closed after."""
    from quiz.paths import data_dir
    from quiz.progress.store import DB_NAME, Store

    path = data_dir() / DB_NAME
    store = Store.open(path) if path.exists() else None
    try:
        yield store
    finally:
        if store is not None:
            store.close()


@contextmanager
def database(name: str) -> Iterator[Database]:
    """The engine that provisions each run's database; a throwaway server stops on exit.
    First, the folders a killed sqlaquiz left in the temporary directory go."""
    from quiz.sandbox import leftovers
    from quiz.sandbox.engines import open_database

    leftovers.sweep()
    engine = open_database(name)
    try:
        yield engine
    finally:
        engine.close()


def require_trusted(library: Library, cards: list[Card]) -> None:
    """Refuse, in one line, to run examples of decks the user has not trusted."""
    from quiz.deck.trust import hint
    from quiz.errors import UntrustedDeck

    untrusted = [card for card in cards if not library.trusted(card)]
    if not untrusted:
        return
    decks = sorted({card.source for card in untrusted})
    if len(untrusted) == 1:
        what = f"card {untrusted[0].id!r} comes from {decks[0]}, which is not trusted"
    else:
        what = f"{len(untrusted)} examples come from decks that are not trusted ({decks[0]}"
        what += f" and {len(decks) - 1} more)" if len(decks) > 1 else ")"
    raise UntrustedDeck(
        f"{what}: nothing ran; read the deck, then `{hint(untrusted[0])}` lets it run (as you)"
    )


def check_runs_on(card: Card, database: str) -> None:
    """A card runs only on the databases it lists; one line saying so otherwise."""
    from quiz.errors import UsageError

    wanted = ("sqlite", "postgresql") if database == "both" else (database,)
    missing = [name for name in wanted if name not in card.databases]
    if missing:
        listed = ", ".join(card.databases)
        raise UsageError(
            f"card {card.id!r} does not run on {' or '.join(missing)} (it lists: {listed})"
        )
