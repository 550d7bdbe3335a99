"""What a loaded card is: plain, immutable values that every other module works with.

Validation lives in `quiz.deck` (YAML + pydantic); these types do not need pydantic, so a
command that reads cards from the deck cache never imports it.
"""

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from quiz.errors import UnknownCardError

DIFFICULTIES = ("easy", "medium", "hard")


@dataclass(frozen=True)
class Expect:
    """What running the example must show."""

    queries: int | None = None
    cells: dict[str, int] = field(default_factory=dict)
    raises: str | None = None
    stdout: tuple[str, ...] = ()


@dataclass(frozen=True)
class Challenge:
    """A prediction the user makes before the example runs."""

    ask: Literal["queries", "raises"]
    prompt: str
    answer: int | bool
    cell: str | None = None


@dataclass(frozen=True)
class Card:
    """A validated card with the deck it came from."""

    id: str
    topic: str
    topic_name: str
    difficulty: str
    tags: tuple[str, ...]
    question: str
    answer: str
    example: str | None
    expect: Expect | None
    challenge: Challenge | None
    source: Path
    line: int
    databases: tuple[str, ...] = ("sqlite",)

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a deck: where it is and what it is."""

    path: Path
    line: int | None
    message: str
    card_id: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        parts = [where]
        if self.card_id:
            parts.append(f"card {self.card_id!r}")
        if self.field:
            parts.append(f"field {self.field!r}")
        return ": ".join(parts) + f": {self.message}"


@dataclass
class Library:
    """Every card that loaded, plus every problem found on the way."""

    cards: list[Card] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    topics: dict[str, str] = field(default_factory=dict)  # slug -> display name

    def get(self, card_id: str) -> Card:
        for card in self.cards:
            if card.id == card_id:
                return card
        close = difflib.get_close_matches(card_id, [c.id for c in self.cards], n=3, cutoff=0.5)
        raise UnknownCardError(card_id, close)
