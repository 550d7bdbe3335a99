"""Deck files: YAML with line numbers, the pydantic schema, and problems that name file, line,
card and field. Cards come out as the plain values of `quiz.cards`."""

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from quiz.deck.cards import Card, Challenge, Expect, Library, Problem
from quiz.paths import bundled_content_dir, deck_files, deck_sources
from quiz.sandbox.cells import split_cells

SLUG = r"^[a-z0-9][a-z0-9-]*$"

try:  # the C loader is several times faster; pure Python is the fallback
    _BaseLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _BaseLoader = yaml.SafeLoader


# --------------------------------------------------------------------------- schema


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExpectModel(_Strict):
    """What running the example must show."""

    queries: int | None = Field(default=None, ge=0)
    cells: dict[str, int] = Field(default_factory=dict)
    raises: str | None = None
    stdout: list[str] = Field(default_factory=list)

    @field_validator("cells")
    @classmethod
    def _non_negative(cls, value: dict[str, int]) -> dict[str, int]:
        for title, count in value.items():
            if count < 0:
                raise ValueError(f"query count for cell {title!r} must be >= 0")
        return value


class ChallengeModel(_Strict):
    """A prediction the user makes before the example runs."""

    ask: Literal["queries", "raises"]
    prompt: str = Field(min_length=1)
    cell: str | None = None
    answer: int | bool

    @field_validator("answer")
    @classmethod
    def _answer_type(cls, value: int | bool, info: Any) -> int | bool:
        ask = info.data.get("ask")
        if ask == "raises" and not isinstance(value, bool):
            raise ValueError("a 'raises' challenge needs answer: true or false")
        if ask == "queries" and (isinstance(value, bool) or value < 0):
            raise ValueError("a 'queries' challenge needs a whole number >= 0 as answer")
        return value


class CardModel(_Strict):
    """One card as written in a deck file."""

    id: str = Field(pattern=SLUG, max_length=80)
    difficulty: Literal["easy", "medium", "hard"]
    tags: list[str] = Field(default_factory=list)
    question: str = Field(min_length=1)
    answer: str = Field(min_length=1)
    example: str | None = None
    expect: ExpectModel | None = None
    challenge: ChallengeModel | None = None


class TopicModel(_Strict):
    slug: str = Field(pattern=SLUG)
    name: str = Field(min_length=1)


class DeckHeader(_Strict):
    topic: TopicModel
    description: str = ""
    cards: list[Any]


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
    return ".".join(str(p) for p in loc if not str(p).startswith("function-")) or "(card)"


def _message(err: Any) -> str:
    msg = str(err["msg"])
    if err["type"] == "extra_forbidden":
        return "unknown field"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return msg[0].lower() + msg[1:] if msg else msg


# --------------------------------------------------------------------------- loading


def load_deck(
    path: Path, seen: dict[str, Card] | None = None, check_syntax: bool = True
) -> tuple[list[Card], list[Problem]]:
    """Load one deck file; bad cards are reported and skipped, good ones kept.

    `check_syntax` compiles every example (about 20 ms for the bundled decks): `validate` and
    the tests do; everyday commands skip it, and a broken example shows when it runs."""
    seen = {} if seen is None else seen
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [], [Problem(path, None, "no such file")]
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Problem(path, None, f"cannot read: {exc}")]
    try:
        data = yaml.load(text, Loader=_LineLoader)
    except _DuplicateKey as exc:
        return [], [Problem(path, exc.line, str(exc))]
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
        header = DeckHeader.model_validate(data)
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
        try:
            model = CardModel.model_validate(raw)
        except ValidationError as exc:
            for e in exc.errors():
                problems.append(
                    Problem(
                        path,
                        _line_of(raw, e["loc"], line),
                        _message(e),
                        card_id,
                        _field_name(e["loc"]),
                    )
                )
            continue
        card_problems = _check_card(model, raw, path, line, check_syntax)
        if model.id in seen:
            other = seen[model.id]
            card_problems.append(
                Problem(path, line, f"duplicate id, first defined at {other.where}", model.id, "id")
            )
        if card_problems:
            problems.extend(card_problems)
            continue
        card = Card(
            id=model.id,
            topic=header.topic.slug,
            topic_name=header.topic.name,
            difficulty=model.difficulty,
            tags=tuple(model.tags),
            question=model.question.strip(),
            answer=model.answer.strip(),
            example=model.example,
            expect=_expect(model.expect),
            challenge=_challenge(model.challenge),
            source=path,
            line=line,
        )
        seen[card.id] = card
        cards.append(card)
    return cards, problems


def _expect(model: ExpectModel | None) -> Expect | None:
    if model is None:
        return None
    return Expect(model.queries, dict(model.cells), model.raises, tuple(model.stdout))


def _challenge(model: ChallengeModel | None) -> Challenge | None:
    if model is None:
        return None
    return Challenge(model.ask, model.prompt, model.answer, model.cell)


def _check_card(
    model: CardModel, raw: Any, path: Path, line: int, check_syntax: bool
) -> list[Problem]:
    """Checks that span fields: named cells exist (and, when asked, the example compiles)."""
    problems: list[Problem] = []

    def add(field_path: tuple[Any, ...], message: str) -> None:
        problems.append(
            Problem(
                path,
                _line_of(raw, field_path, line),
                message,
                model.id,
                ".".join(map(str, field_path)),
            )
        )

    if model.example is None:
        if model.expect is not None:
            add(("expect",), "'expect' needs an 'example' to run")
        if model.challenge is not None:
            add(("challenge",), "'challenge' needs an 'example' to run")
        return problems

    example_line = _line_of(raw, ("example",), line) or line
    cells = split_cells(model.example)
    titles = [c.title for c in cells]
    if check_syntax:
        for cell in cells:
            try:
                compile(cell.source, "example.py", "exec")
            except SyntaxError as exc:
                where = exc.lineno or cell.first_line  # source is padded: already example lines
                problems.append(
                    Problem(
                        path,
                        example_line + where,
                        f"syntax error in example line {where}: {exc.msg}",
                        model.id,
                        "example",
                    )
                )
    if model.expect is not None:
        for title in model.expect.cells:
            if title not in titles:
                add(("expect", "cells", title), f"no cell titled {title!r}; cells are {titles}")
    if model.challenge is not None:
        ch = model.challenge
        if ch.ask == "queries" and ch.cell is not None and ch.cell not in titles:
            add(("challenge", "cell"), f"no cell titled {ch.cell!r}; cells are {titles}")
    return problems


def load_library(
    extra: list[Path] | None = None, bundled: bool = True, check_syntax: bool = False
) -> Library:
    """The bundled decks plus the user's; problems are collected, never fatal.

    With `bundled=False` (validating given files) the bundled decks still reserve their ids, so
    a clash is reported; a bundled file that is one of the given files (or a copy of one) is
    not held against itself."""
    library = Library()
    sources, missing = deck_sources(extra or [])
    library.problems.extend(Problem(path, None, "no such file or folder") for path in missing)
    seen: dict[str, Card] = {}
    shipped = deck_files(bundled_content_dir())
    if bundled:
        sources[:0] = shipped
    else:
        given = {p.resolve() for p in sources}
        given_bytes = {p.read_bytes() for p in given if p.is_file()}
        for path in shipped:
            if path.resolve() not in given and path.read_bytes() not in given_bytes:
                load_deck(path, seen)  # only to reserve the ids
    for path in dict.fromkeys(p.resolve() for p in sources):
        cards, problems = load_deck(path, seen, check_syntax)
        library.cards.extend(cards)
        library.problems.extend(problems)
        for card in cards:
            library.topics.setdefault(card.topic, card.topic_name)
    return library
