"""Shell completion: card ids, topics (slugs and names), tags and levels, for Typer's
`autocompletion=` callbacks.

A completion runs the whole `sqlaquiz` command on each Tab, so it must answer in a few dozen
milliseconds: it reads the deck cache (`deck.cache.cached_library`, no YAML, no pydantic) and,
when the cache has no current entry, reads the deck files' YAML for the few fields it offers,
without validating them. User decks count: `--deck` given earlier on the line (and a
`validate PATH`), then $SQLAQUIZ_DECKS. Whatever goes wrong, completion offers nothing rather
than printing an error into the shell.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

COMPLETE_VAR = "_SQLAQUIZ_COMPLETE"  # what Typer sets while a shell asks for completions


@dataclass
class Names:
    """What completion offers, in deck order, without duplicates."""

    ids: list[str] = field(default_factory=list)
    topics: dict[str, str] = field(default_factory=dict)  # slug -> name
    tags: list[str] = field(default_factory=list)


def names(decks: list[Path]) -> Names:
    """The card ids, topics and tags of the bundled decks and `decks` (user deck paths)."""
    from quiz.deck.cache import cached_library
    from quiz.paths import user_deck_paths

    paths = user_deck_paths(decks)
    try:
        library = cached_library(paths)
    except Exception:  # a cache that cannot be read is only slower
        library = None
    found = Names()
    if library is not None:
        for card in library.cards:
            _add(found, card.id, card.topic, card.topic_name, card.tags)
        return found
    return _scan(paths, found)


def _add(found: Names, card_id: Any, slug: Any, name: Any, tags: Any) -> None:
    if isinstance(card_id, str) and card_id not in found.ids:
        found.ids.append(card_id)
    if isinstance(slug, str):
        found.topics.setdefault(slug, name if isinstance(name, str) else slug)
    for tag in tags if isinstance(tags, (list, tuple)) else ():
        if isinstance(tag, str) and tag not in found.tags:
            found.tags.append(tag)


def _scan(paths: list[Path], found: Names) -> Names:
    """The deck files' YAML, read for ids, topics and tags only (not validated)."""
    import yaml

    from quiz.paths import MAX_DECK_BYTES, bundled_content_dir, deck_files, deck_sources, read_file

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    files, _ = deck_sources(paths)
    for path in [*deck_files(bundled_content_dir()), *files]:
        try:
            data = yaml.load(read_file(path, MAX_DECK_BYTES), Loader=loader)
        except Exception:  # unreadable, not YAML: `validate` says why, completion skips it
            continue
        if not isinstance(data, dict):
            continue
        topic, cards = data.get("topic"), data.get("cards")
        topic = topic if isinstance(topic, dict) else {}
        cards = cards if isinstance(cards, list) else []
        for card in cards:
            if isinstance(card, dict):
                _add(found, card.get("id"), topic.get("slug"), topic.get("name"), card.get("tags"))
    return found


def _decks(ctx: Any) -> list[Path]:
    """The deck paths given so far on the command line being completed."""
    params = getattr(ctx, "params", None) or {}
    given: list[Path] = []
    for name in ("deck", "paths"):
        value = params.get(name)
        if isinstance(value, (list, tuple)):
            given.extend(Path(v) for v in value if str(v))
    return given


# What a shell may be handed. Bash inserts a completion into the command line as it is, so it
# gets only words that mean nothing to the shell; zsh evaluates the list Typer prints (quoting
# it), fish takes one value a line: no control characters, quotes, backslashes, $ or `. A deck
# is text from anywhere: its tags and topic names may hold anything their length allows.
_BASH_WORD = re.compile(r"[\w.+/:=@%^,-]+")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f'\"\\$`]")


def _matching(candidates: list[str], incomplete: str) -> list[str]:
    if os.environ.get(COMPLETE_VAR, "") == "complete_bash":
        safe = [c for c in candidates if _BASH_WORD.fullmatch(c)]
    else:
        safe = [c for c in candidates if c and not _UNSAFE.search(c)]
    return [c for c in safe if c.startswith(incomplete)]


def _safe(compute: Any) -> list[str]:
    try:
        result: list[str] = compute()
        return result
    except Exception:  # never a traceback into the shell
        return []


def card_ids(ctx: Any, incomplete: str) -> list[str]:
    """Card ids starting with what is typed."""
    return _safe(lambda: _matching(names(_decks(ctx)).ids, incomplete))


def topics(ctx: Any, incomplete: str) -> list[str]:
    """Topic slugs and topic names starting with what is typed (as typed: Typer keeps only
    the completions that start with it). Bash inserts a completion as it is, unquoted, so it
    is offered no name with a space (or anything else the shell would read) in it."""

    def compute() -> list[str]:
        found = names(_decks(ctx)).topics
        offered = _matching(list(found), incomplete)
        offered += [n for n in _matching(list(found.values()), incomplete) if n not in offered]
        return offered

    return _safe(compute)


def tags(ctx: Any, incomplete: str) -> list[str]:
    """Tags starting with what is typed."""
    return _safe(lambda: _matching(names(_decks(ctx)).tags, incomplete))


def levels(incomplete: str) -> list[str]:
    """easy, medium, hard."""
    from quiz.deck.cards import DIFFICULTIES

    return _matching(list(DIFFICULTIES), incomplete)


def databases(ctx: Any, incomplete: str) -> list[str]:
    """sqlite, postgresql (and both, for `run`)."""
    offered = ["sqlite", "postgresql"]
    if getattr(getattr(ctx, "command", None), "name", None) == "run":
        offered.append("both")
    return _matching(offered, incomplete)


def settings(incomplete: str) -> list[str]:
    """The config file's keys (`sqlaquiz config KEY`)."""
    from quiz.config import KEYS

    return _matching(list(KEYS), incomplete)
