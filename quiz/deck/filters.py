"""Choosing cards by topic, difficulty and tag: repeated values OR'ed, options AND'ed."""

from __future__ import annotations

from quiz.deck.cards import DIFFICULTIES, Card, Library
from quiz.deck.names import close_matches
from quiz.errors import UsageError


def topic_slugs(library: Library, wanted: list[str]) -> set[str]:
    """The slugs of the topics asked for, each by its slug or its name (as `topics` shows
    them), in any case; UsageError with the closest topics for one that is not there."""
    slugs: set[str] = set()
    names = {name: slug for slug, name in library.topics.items()}
    for value in wanted:
        key = " ".join(value.split()).lower()
        match = [s for s, name in library.topics.items() if key in (s.lower(), name.lower())]
        if not match:
            close = close_matches(value, [*library.topics, *names])
            slugs_close = list(dict.fromkeys(names.get(c, c) for c in close))
            if not slugs_close:
                valid = ", ".join(sorted(library.topics)) or "(none loaded)"
                raise UsageError(f"unknown topic {value!r}; topics are: {valid}")
            raise UsageError(
                f"unknown topic {value!r} — did you mean {', '.join(slugs_close)}? "
                "(`sqlaquiz topics` lists them)"
            )
        slugs.update(match)
    return slugs


def select_cards(
    library: Library, topics: list[str], levels: list[str], tags: list[str]
) -> list[Card]:
    """The library's cards that pass every given filter, in deck order."""
    for level in levels:
        if level.lower() not in DIFFICULTIES:
            close = close_matches(level, DIFFICULTIES, n=1)
            hint = f" — did you mean {close[0]}? U" if close else "; u"
            raise UsageError(
                f"unknown difficulty {level!r}{hint}se one of: {', '.join(DIFFICULTIES)}"
            )
    wanted_levels = {lvl.lower() for lvl in levels}
    wanted_topics = topic_slugs(library, topics) if topics else set()
    wanted_tags = {t.lower() for t in tags}
    if wanted_tags:
        known = {t.lower() for c in library.cards for t in c.tags}
        unknown = sorted(wanted_tags - known)
        if unknown:
            close = close_matches(unknown[0], known)
            hint = f" — did you mean {', '.join(close)}?" if close else ""
            raise UsageError(f"no card has the tag {unknown[0]!r}{hint}")
    return [
        card
        for card in library.cards
        if (not wanted_levels or card.difficulty in wanted_levels)
        and (not wanted_topics or card.topic in wanted_topics)
        and (not wanted_tags or wanted_tags & {t.lower() for t in card.tags})
    ]
