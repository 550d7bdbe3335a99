"""Small shared styling: how difficulty levels look (kept light: no Markdown or Syntax)."""

from __future__ import annotations

from rich.text import Text

DIFFICULTY_STYLE = {"easy": "green", "medium": "yellow", "hard": "red"}


def difficulty(level: str) -> Text:
    return Text(level, style=DIFFICULTY_STYLE.get(level, ""))


def plural(n: int, word: str) -> str:
    """`1 card`, `2 cards`: counts as a person writes them."""
    return f"{n} {word}{'' if n == 1 else 's'}"
