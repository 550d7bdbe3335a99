"""Writing a new card: the scaffold `sqlaquiz new` opens, where it goes in a deck's text, and
the checks a draft must pass before it replaces the deck.

The deck's own text is kept as it is (comments, order, style): the scaffold is inserted as text
after the last card of the `cards:` list, indented as that list is. A draft is checked by the
loader itself, against every other deck's ids, plus one check of its own: the question and the
answer no longer hold the scaffold's placeholder text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from quiz.deck.cards import SLUG, Problem

QUESTION = "Write the question here (Markdown)."
ANSWER = "Write the answer here (Markdown)."


class NoCardsList(ValueError):
    """The deck's text has no `cards:` list a card can be added to."""


def valid_id(card_id: str) -> bool:
    return bool(re.fullmatch(SLUG, card_id)) and len(card_id) <= 80


def scaffold(card_id: str, difficulty: str, indent: int = 2) -> str:
    """The new card's lines, its `-` at column `indent`."""
    lines = [
        f"- id: {card_id}",
        f"  difficulty: {difficulty}",
        "  tags: []",
        "  # databases: [sqlite, postgresql]  # where the example runs (default: sqlite)",
        "  question: |",
        f"    {QUESTION}",
        "  answer: |",
        f"    {ANSWER}",
        "  # example: |  # code that really runs; `# %% name` starts a named cell",
        "  #   from sqlalchemy import create_engine",
        "  # expect:  # what running it must show",
        "  #   queries: 1",
        "  # challenge:  # a prediction asked before the example runs",
        "  #   ask: queries",
        "  #   prompt: How many statements does it send?",
        "  #   answer: 1",
        "  # key_points:  # 2 to 5 things an interviewer listens for",
        "  #   - point: what the answer must say",
        "  #     match: [a phrase that says it, another way to say it]",
    ]
    pad = " " * indent
    return "".join(f"{pad}{line}\n" for line in lines)


def new_deck_text(slug: str, name: str, modeline: str | None = None) -> str:
    """A deck file with its topic and an empty card list."""
    head = f"{modeline}\n" if modeline else ""
    return f"{head}topic:\n  slug: {slug}\n  name: {_quoted(name)}\ncards:\n"


def _quoted(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML string


def with_card(text: str, card_id: str, difficulty: str) -> tuple[str, int]:
    """The deck's text with the scaffold added after its last card, and the line (1-based)
    where the scaffold starts. NoCardsList when the text has no `cards:` list."""
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise NoCardsList(f"the deck is not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(root, yaml.MappingNode):
        raise NoCardsList("the deck is not a mapping with 'topic' and 'cards'")
    for key, value in root.value:
        if key.value != "cards":
            continue
        if isinstance(value, yaml.SequenceNode) and not value.flow_style:
            at = value.end_mark.index
            before, after = text[:at], text[at:]
            block = scaffold(card_id, difficulty, value.start_mark.column)
        elif (isinstance(value, yaml.SequenceNode) and not value.value) or (
            isinstance(value, yaml.ScalarNode) and value.tag.endswith(":null")
        ):
            # `cards: []` or `cards:` alone: the list starts here
            start, end = value.start_mark.index, value.end_mark.index
            before, after = text[:start].rstrip(" ") + "\n", text[end:].lstrip(" ")
            after = after if after.startswith("\n") or not after else "\n" + after
            after = after[1:] if after.startswith("\n") else after
            block = scaffold(card_id, difficulty, 2)
        else:
            raise NoCardsList("its 'cards' is not a list written one card a line (block style)")
        if before and not before.endswith("\n"):
            before += "\n"
        return before + block + after, before.count("\n") + 1
    raise NoCardsList("the deck has no 'cards:' list")


@dataclass(frozen=True)
class DraftCheck:
    """What checking a draft found: the problems, and the ids of the cards it holds."""

    problems: list[Problem]
    ids: list[str]


def check_draft(draft: Path, other_decks: list[Path]) -> DraftCheck:
    """The loader's problems with `draft` (its ids checked against the bundled decks and
    `other_decks`), and placeholders the user has not replaced."""
    from quiz.deck.loader import load_library

    library = load_library([*other_decks, draft], check_syntax=True)
    resolved = draft.resolve()
    problems = [p for p in library.problems if Path(p.path).resolve() == resolved]
    cards = [c for c in library.cards if c.source == resolved]
    problems.extend(_placeholders(draft))
    problems.sort(key=lambda p: p.line or 0)
    return DraftCheck(problems, [c.id for c in cards])


def _placeholders(draft: Path) -> list[Problem]:
    """The scaffold's placeholder lines still in the draft (whether or not its card loads)."""
    from quiz.paths import MAX_DECK_BYTES, read_text

    found, card_id = [], None
    for number, line in enumerate(read_text(draft, MAX_DECK_BYTES).splitlines(), 1):
        words = line.strip()
        if words.startswith("- id:"):
            card_id = words.removeprefix("- id:").strip() or None
        for name, placeholder in (("question", QUESTION), ("answer", ANSWER)):
            if words == placeholder:
                message = f"still the placeholder: write the {name}"
                found.append(Problem(draft, number, message, card_id, name))
    return found
