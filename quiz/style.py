"""Small shared styling: how difficulty levels look (kept light: no Markdown or Syntax)."""

from __future__ import annotations

from rich.text import Text

DIFFICULTY_STYLE = {"easy": "green", "medium": "yellow", "hard": "red"}


def difficulty(level: str) -> Text:
    return Text(level, style=DIFFICULTY_STYLE.get(level, ""))
