"""Finding cards by text: in the question, the answer, the tags and the example's code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quiz.deck.cards import Card

FIELDS = ("question", "answer", "tags", "code")


@dataclass(frozen=True)
class Match:
    """One line of a card that holds the text: its field, its line in that field (1-based)
    and the line itself, with where the text starts in it."""

    field: str
    line: int
    text: str
    start: int
    length: int

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "line": self.line, "text": self.text}


def _lines(card: Card) -> list[tuple[str, int, str]]:
    out = [("question", n, line) for n, line in enumerate(card.question.splitlines(), 1)]
    out += [("answer", n, line) for n, line in enumerate(card.answer.splitlines(), 1)]
    out += [("tags", 1, " ".join(f"#{tag}" for tag in card.tags))] if card.tags else []
    if card.example:
        out += [("code", n, line) for n, line in enumerate(card.example.splitlines(), 1)]
    return out


def matches(card: Card, text: str) -> list[Match]:
    """Every line of `card` holding `text`, any case, in the order the card shows them."""
    wanted = text.lower()
    if not wanted.strip():
        return []
    found = []
    for field, number, line in _lines(card):
        at = line.lower().find(wanted)
        # lower() can change a line's length (İ): then the match is shown, not marked
        if at >= 0:
            same = len(line.lower()) == len(line)
            found.append(Match(field, number, line, at if same else 0, len(text) if same else 0))
    return found


def search(cards: list[Card], text: str) -> list[tuple[Card, list[Match]]]:
    """The cards that hold `text` somewhere, each with its matching lines."""
    return [(card, found) for card in cards if (found := matches(card, text))]
