"""Names the user types (card ids, topics, tags), matched to what the decks hold: "did you
mean", case-insensitively."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_matches(word: str, known: Iterable[str], n: int = 3) -> list[str]:
    """Up to `n` of `known` closest to `word`, closest first, ignoring case; as spelt in
    `known`."""
    by_lower: dict[str, str] = {}
    for name in sorted(known):
        by_lower.setdefault(name.lower(), name)
    key = word.strip().lower()
    found = difflib.get_close_matches(key, list(by_lower), n=n, cutoff=0.5)
    return [by_lower[f] for f in found]
