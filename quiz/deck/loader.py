"""Deck files: YAML with line numbers, validated against the card schema of `quiz.deck.cards`
(pydantic, through a `TypeAdapter`) and the rules of `quiz.deck.rules`, with problems that name
file, line, card and field."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import TypeAdapter, ValidationError

from quiz.deck.cards import SLUG, STRICT, Card, Library, Limits, Problem
from quiz.deck.rules import card_findings
from quiz.paths import MAX_DECK_BYTES, bundled_content_dir, deck_files, deck_sources, read_file

try:  # the C loader is several times faster; pure Python is the fallback
    _BaseLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _BaseLoader = yaml.SafeLoader


# --------------------------------------------------------------------------- schema


@dataclass(frozen=True)
class Topic:
    """A deck's `topic:` mapping."""

    __pydantic_config__ = STRICT

    slug: Annotated[str, Limits(pattern=SLUG, max_length=80)]
    name: Annotated[str, Limits(min_length=1, max_length=80)]


@dataclass(frozen=True)
class DeckHeader:
    """A deck file around its cards, which are validated one by one."""

    __pydantic_config__ = STRICT

    topic: Topic
    cards: list[Any]
    description: Annotated[str, Limits(max_length=2_000)] = ""


_HEADER = TypeAdapter(DeckHeader)
_CARD = TypeAdapter(Card)
PLACED = ("topic", "topic_name", "source", "line")  # Card fields the loader fills in


# --------------------------------------------------------------------------- YAML with lines


class _LineDict(dict[Any, Any]):
    """A mapping that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict[Any, int]


class _DuplicateKey(Exception):
    """A mapping key that cannot be used: repeated, or not a plain value."""

    def __init__(self, key: object, line: int, message: str | None = None) -> None:
        super().__init__(message or f"key {key!r} appears twice in one mapping")
        self.line = line

    @classmethod
    def bad_key(cls, line: int) -> "_DuplicateKey":
        return cls(None, line, "mapping keys must be plain values (text or numbers)")


class _LineLoader(_BaseLoader):
    pass


def _construct_mapping(loader: Any, node: yaml.MappingNode) -> _LineDict:
    result = _LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise _DuplicateKey.bad_key(key_node.start_mark.line + 1)
        if key in result:
            raise _DuplicateKey(key, key_node.start_mark.line + 1)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _line_of(data: Any, loc: Iterable[Any], default: int | None) -> int | None:
    """The line of the deepest key along a pydantic error location."""
    line = default
    node = data
    for part in loc:
        if isinstance(node, _LineDict):
            if part in node.key_lines:
                line = node.key_lines[part]
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            if isinstance(node, _LineDict):
                line = node.line
        else:
            break
    return line


def _field_name(loc: Iterable[Any]) -> str:
    return ".".join(str(p) for p in loc) or "(card)"


_PLAIN_MESSAGES = {
    "unexpected_keyword_argument": "unknown field",
    "missing": "field required",
    "missing_argument": "field required",
    "dataclass_type": "input should be a mapping (key: value lines)",
}


def _message(err: Any) -> str:
    msg = _PLAIN_MESSAGES.get(err["type"]) or str(err["msg"])
    return msg[0].lower() + msg[1:] if msg else msg


# --------------------------------------------------------------------------- loading


def load_deck(
    path: Path,
    seen: dict[str, Card] | None = None,
    check_syntax: bool = True,
    digests: dict[Path, str] | None = None,
) -> tuple[list[Card], list[Problem]]:
    """Load one deck file; bad cards are reported and skipped, good ones kept.

    `check_syntax` compiles every example (about 20 ms for the bundled decks): `validate` and
    the tests do; everyday commands skip it, and a broken example shows when it runs.
    `digests` receives the SHA-256 of the bytes the cards were read from (what trust checks)."""
    seen = {} if seen is None else seen
    try:
        raw = read_file(path, MAX_DECK_BYTES)
        text = raw.decode("utf-8")
    except FileNotFoundError:
        return [], [Problem(path, None, "no such file")]
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Problem(path, None, f"cannot read: {exc}")]
    if digests is not None:
        digests[path] = hashlib.sha256(raw).hexdigest()
    try:
        data = yaml.load(text, Loader=_LineLoader)
    except _DuplicateKey as exc:
        return [], [Problem(path, exc.line, str(exc))]
    except (ValueError, RecursionError) as exc:
        # a number of more than 4,300 digits (Python's limit for int()), nesting past the
        # recursion limit: not a YAML error, still a deck that cannot be read
        reason = str(exc).split("\n")[0] or type(exc).__name__
        return [], [Problem(path, None, f"not a usable deck: {reason[:200]}")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context_mark", None)
        if context is not None and line is not None and context.line + 1 < line:
            # e.g. an unclosed [ is noticed on a later line; say where it was opened
            reason += f" ({getattr(exc, 'context', None) or 'started'} at line {context.line + 1})"
        return [], [Problem(path, line, f"not valid YAML: {reason}")]
    if not isinstance(data, _LineDict):
        return [], [Problem(path, 1, "a deck is a mapping with 'topic' and 'cards'")]

    try:
        header = _HEADER.validate_python(data)
    except ValidationError as exc:
        return [], [
            Problem(path, _line_of(data, e["loc"], 1), _message(e), None, _field_name(e["loc"]))
            for e in exc.errors()
        ]

    cards: list[Card] = []
    problems: list[Problem] = []
    for index, raw in enumerate(header.cards):
        line = raw.line if isinstance(raw, _LineDict) else data.key_lines.get("cards", 1)
        card_id = raw.get("id") if isinstance(raw, dict) else None
        card_id = card_id if isinstance(card_id, str) else f"#{index + 1}"
        card, card_problems = _load_card(raw, card_id, header.topic, path, line, check_syntax)
        if card is not None and card.id in seen:
            first = f"duplicate id, first defined at {seen[card.id].where}"
            card_problems.append(Problem(path, line, first, card.id, "id"))
        if card is None or card_problems:
            problems.extend(card_problems)
            continue
        seen[card.id] = card
        cards.append(card)
    return cards, problems


def _load_card(
    raw: Any, card_id: str, topic: Topic, path: Path, line: int, check_syntax: bool
) -> tuple[Card | None, list[Problem]]:
    """The card a deck entry describes, with every way it breaks the schema or the rules."""

    def problem(loc: Iterable[Any], message: str, at: int | None = None) -> Problem:
        where = at if at is not None else _line_of(raw, loc, line)
        return Problem(path, where, message, card_id, _field_name(loc))

    data, placed_by_hand = raw, []
    if isinstance(raw, dict):
        data = {key: value for key, value in raw.items() if key not in PLACED}
        data.update(topic=topic.slug, topic_name=topic.name, source=path, line=line)
        placed_by_hand = [problem((key,), "unknown field") for key in raw if key in PLACED]
    try:
        card = _CARD.validate_python(data)
    except ValidationError as exc:
        return None, [problem(e["loc"], _message(e)) for e in exc.errors()] + placed_by_hand
    if placed_by_hand:
        return None, placed_by_hand
    card = replace(card, question=card.question.strip(), answer=card.answer.strip())
    example_line = _line_of(raw, ("example",), line) or line
    return card, [
        problem(f.field, f.message, example_line + f.example_line if f.example_line else None)
        for f in card_findings(card, check_syntax)
    ]


def load_library(
    extra: list[Path] | None = None, bundled: bool = True, check_syntax: bool = False
) -> Library:
    """The bundled decks plus the user's; problems are collected, never fatal.

    With `bundled=False` (validating given files) the bundled decks still reserve their ids, so
    a clash is reported; a bundled file that is one of the given files (or a copy of one) is
    not held against itself."""
    library = Library()
    sources, missing = deck_sources(extra or [])
    library.problems.extend(Problem(path, None, why) for path, why in missing)
    seen: dict[str, Card] = {}
    shipped = deck_files(bundled_content_dir())
    if bundled:
        sources[:0] = shipped
    else:
        given = {p.resolve() for p in sources}
        given_bytes = {_bytes(p) for p in given} - {None}
        for path in shipped:
            if path.resolve() not in given and _bytes(path) not in given_bytes:
                load_deck(path, seen)  # only to reserve the ids
    for path in dict.fromkeys(p.resolve() for p in sources):
        cards, problems = load_deck(path, seen, check_syntax, library.digests)
        library.cards.extend(cards)
        library.problems.extend(problems)
        for card in cards:
            library.topics.setdefault(card.topic, card.topic_name)
    return library


def _bytes(path: Path) -> bytes | None:
    """A deck file's bytes, or None when it cannot be read (load_deck then says why)."""
    try:
        return read_file(path, MAX_DECK_BYTES)
    except OSError:
        return None
