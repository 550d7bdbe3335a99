"""Choosing cards by topic, difficulty and tag: repeated values OR'ed, options AND'ed."""

from __future__ import annotations

import difflib

from quiz.deck.cards import DIFFICULTIES, Card, Library
from quiz.errors import UsageError


def _topic_slugs(library: Library, wanted: list[str]) -> set[str]:
    slugs: set[str] = set()
    for value in wanted:
        key = value.strip().lower()
        match = [s for s, name in library.topics.items() if key in (s.lower(), name.lower())]
        if not match:
            valid = ", ".join(sorted(library.topics)) or "(none loaded)"
            raise UsageError(f"unknown topic {value!r}; topics are: {valid}")
        slugs.update(match)
    return slugs


def select_cards(
    library: Library, topics: list[str], levels: list[str], tags: list[str]
) -> list[Card]:
    """The library's cards that pass every given filter, in deck order."""
    for level in levels:
        if level.lower() not in DIFFICULTIES:
            raise UsageError(f"unknown difficulty {level!r}; use one of: {', '.join(DIFFICULTIES)}")
    wanted_levels = {lvl.lower() for lvl in levels}
    wanted_topics = _topic_slugs(library, topics) if topics else set()
    wanted_tags = {t.lower() for t in tags}
    if wanted_tags:
        known = {t.lower() for c in library.cards for t in c.tags}
        unknown = sorted(wanted_tags - known)
        if unknown:
            close = difflib.get_close_matches(unknown[0], sorted(known), n=3, cutoff=0.5)
            hint = f" — did you mean {', '.join(close)}?" if close else ""
            raise UsageError(f"no card has the tag {unknown[0]!r}{hint}")
    return [
        card
        for card in library.cards
        if (not wanted_levels or card.difficulty in wanted_levels)
        and (not wanted_topics or card.topic in wanted_topics)
        and (not wanted_tags or wanted_tags & {t.lower() for t in card.tags})
    ]
