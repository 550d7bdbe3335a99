"""What a card is: the one schema of a deck's cards, as plain immutable dataclasses.

These classes are both what every other module works with and what `quiz.deck.loader`
validates a deck against (a pydantic `TypeAdapter` over `Card`). They never import pydantic:
the field limits are `Annotated` metadata that pydantic reads when the loader builds its
schema, so a command that reads cards from the deck cache stays free of pydantic. Rules that
span fields (answers per database, cell names, the database declaration) are in `rules`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from quiz.errors import UnknownCardError
from quiz.sandbox.protocol import DATABASE_NAMES, DATABASES, Database

__all__ = ["DATABASES", "DATABASE_NAMES", "DIFFICULTIES", "Card", "Database", "Expect", "Library"]

DIFFICULTIES = ("easy", "medium", "hard")
DEFAULT_DATABASES: tuple[Database, ...] = ("sqlite",)
SLUG = r"^[a-z0-9][a-z0-9-]*$"

STRICT = {"extra": "forbid"}  # pydantic's config for each class: unknown keys are errors


class Limits:
    """`Annotated` metadata that only pydantic reads: extra keys for the field's core schema.

    `Limits(ge=0)` on an int or `Limits(min_length=1)` on a str is what `Field(ge=0)` would
    do, written without importing pydantic (or annotated_types, which costs ~14 ms)."""

    def __init__(self, **keys: object) -> None:
        self.keys = keys

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        return {**handler(source), **self.keys}


class AsWritten:
    """`Annotated` metadata: pydantic takes the value as written; a rule in `rules` checks it
    with a message that knows the rest of the card (e.g. an answer's type depends on `ask`)."""

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        return {"type": "any"}


# Field sizes: far above what a card needs (the bundled decks' largest question is ~250
# characters, answer ~1,300, example ~2,700), low enough that a hostile deck cannot make
# drawing a card slow or a number break a later command.
MAX_COUNT = 1_000_000  # a query or cell count, a challenge's answer
MAX_QUESTION = 4_000
MAX_ANSWER = 20_000
MAX_EXAMPLE = 50_000
MAX_PROMPT = 2_000
MAX_NAME = 200  # a cell title, an exception name, a topic name, a stdout fragment's ...
MAX_TAGS, MAX_TAG = 20, 40
MAX_ITEMS = 50  # cells and stdout fragments one expectation names

Count = Annotated[int, Limits(ge=0, le=MAX_COUNT)]
Name = Annotated[str, Limits(max_length=MAX_NAME)]
Fragment = Annotated[str, Limits(max_length=1_000)]
Answer = int | bool | dict[str, int | bool]
Cells = Annotated[dict[Name, Count], Limits(max_length=MAX_ITEMS)]
Fragments = Annotated[tuple[Fragment, ...], Limits(max_length=MAX_ITEMS)]


class _Inherit(enum.Enum):
    INHERIT = "inherit"


# The value of a per-database key that the block does not set: the common value applies.
# Typed Any so the fields keep their real types; read only by `Expect.for_database` and
# left out by `Card.to_dict`.
INHERIT: Any = _Inherit.INHERIT


@dataclass(frozen=True)
class DatabaseExpect:
    """`expect.sqlite` / `expect.postgresql`: what differs on that database.

    `cells` are merged key by key over the common cells and `stdout` fragments are added to
    the common ones; `queries` and `raises` replace the common value when the block sets them
    (`raises: null` means it must not raise there)."""

    __pydantic_config__ = STRICT

    queries: Count | None = INHERIT
    cells: Cells = field(default_factory=dict)
    raises: Name | None = INHERIT
    stdout: Fragments = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DatabaseExpect:
        return cls(**{**data, "stdout": tuple(data.get("stdout", ()))})


@dataclass(frozen=True)
class Expect:
    """What running the example must show: on every listed database, plus per-database blocks."""

    __pydantic_config__ = STRICT

    queries: Count | None = None
    cells: Cells = field(default_factory=dict)
    raises: Name | None = None
    stdout: Fragments = ()
    sqlite: DatabaseExpect | None = None
    postgresql: DatabaseExpect | None = None

    def block(self, database: str) -> DatabaseExpect | None:
        """The per-database block written for `database`, if any."""
        return {"sqlite": self.sqlite, "postgresql": self.postgresql}.get(database)

    def for_database(self, database: str) -> Expect:
        """The effective expectations on `database`: its block merged over the common ones."""
        block = self.block(database)
        if block is None:
            return Expect(self.queries, self.cells, self.raises, self.stdout)
        return Expect(
            queries=self.queries if block.queries is INHERIT else block.queries,
            cells={**self.cells, **block.cells},
            raises=self.raises if block.raises is INHERIT else block.raises,
            stdout=self.stdout + block.stdout,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Expect:
        blocks = {db: data.get(db) for db in DATABASES}
        return cls(
            queries=data["queries"],
            cells=dict(data["cells"]),
            raises=data["raises"],
            stdout=tuple(data["stdout"]),
            **{db: DatabaseExpect.from_dict(b) if b else None for db, b in blocks.items()},
        )


@dataclass(frozen=True)
class Challenge:
    """A prediction the user makes before the example runs.

    `answer` is one value for every database, or a mapping {database: value} covering exactly
    the card's databases; read it with `Card.answer_for`."""

    __pydantic_config__ = STRICT

    ask: Literal["queries", "raises"]
    prompt: Annotated[str, Limits(min_length=1, max_length=MAX_PROMPT)]
    answer: Annotated[Answer, AsWritten()]
    cell: Name | None = None


Phrase = Annotated[str, Limits(min_length=1, max_length=MAX_NAME)]


@dataclass(frozen=True)
class KeyPoint:
    """One thing an interviewer listens for in a spoken or typed answer.

    `point` is how it is shown ("autoflush sends the INSERT before the query"); `match` lists
    the ways a learner may say it, each a few words (see `review.keypoints` for how a typed
    answer is matched against them)."""

    __pydantic_config__ = STRICT

    point: Phrase
    match: Annotated[tuple[Phrase, ...], Limits(min_length=1, max_length=MAX_TAGS)]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KeyPoint:
        return cls(point=data["point"], match=tuple(data["match"]))


MIN_KEY_POINTS, MAX_KEY_POINTS = 2, 5


@dataclass(frozen=True, kw_only=True)
class Card:
    """One card: the fields a deck file holds, and where the loader found it."""

    __pydantic_config__ = STRICT

    id: Annotated[str, Limits(pattern=SLUG, max_length=80)]
    difficulty: Literal["easy", "medium", "hard"]
    tags: Annotated[
        tuple[Annotated[str, Limits(min_length=1, max_length=MAX_TAG)], ...],
        Limits(max_length=MAX_TAGS),
    ] = ()
    databases: Annotated[tuple[Database, ...], Limits(max_length=8)] = DEFAULT_DATABASES
    question: Annotated[str, Limits(min_length=1, max_length=MAX_QUESTION)]
    answer: Annotated[str, Limits(min_length=1, max_length=MAX_ANSWER)]
    example: Annotated[str, Limits(max_length=MAX_EXAMPLE)] | None = None
    expect: Expect | None = None
    challenge: Challenge | None = None
    key_points: Annotated[tuple[KeyPoint, ...], Limits(max_length=MAX_KEY_POINTS)] = ()
    # filled in by the loader, never written in a card
    topic: str
    topic_name: str
    source: Path
    line: int

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"

    def runs_on(self, database: str) -> bool:
        """Whether the example is declared to run on `database`."""
        return database in self.databases

    def expect_for(self, database: str) -> Expect:
        """What a run on `database` must show (empty when the card claims nothing).

        Raises ValueError for a database the card does not list: ask `runs_on` first."""
        self._require(database)
        return self.expect.for_database(database) if self.expect else Expect()

    def answer_for(self, database: str) -> int | bool | None:
        """The challenge's right answer on `database`, or None for a card without a challenge.

        Raises ValueError for a database the card does not list: ask `runs_on` first."""
        self._require(database)
        if self.challenge is None:
            return None
        answer = self.challenge.answer
        return answer[database] if isinstance(answer, dict) else answer

    def not_listed(self, database: str) -> str:
        """What to say about a claim or a run for a database the card does not list."""
        return f"the card does not run on {database}: databases is [{', '.join(self.databases)}]"

    def _require(self, database: str) -> None:
        if not self.runs_on(database):
            raise ValueError(f"card {self.id!r}: {self.not_listed(database)}")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values; `Card.from_dict` turns them back into an equal card."""
        plain: dict[str, Any] = _plain(self)
        return plain

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Card:
        expect, challenge = data["expect"], data["challenge"]
        return cls(
            **{
                **data,
                "tags": tuple(data["tags"]),
                "databases": tuple(data["databases"]),
                "source": Path(data["source"]),
                "expect": Expect.from_dict(expect) if expect else None,
                "challenge": Challenge(**challenge) if challenge else None,
                "key_points": tuple(KeyPoint.from_dict(k) for k in data.get("key_points", ())),
            }
        )


def _plain(value: Any) -> Any:
    """A dataclass as JSON values: tuples become lists, paths text; unset keys are left out."""
    if is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in fields(value)
            if getattr(value, f.name) is not INHERIT
        }
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, Path):
        return str(value)
    return value


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
    # the SHA-256 of each deck file's bytes as its cards were read (what `trust` records)
    digests: dict[Path, str] = field(default_factory=dict)
    # deck files whose examples may not run: neither bundled nor trusted (see deck.trust)
    untrusted: set[Path] = field(default_factory=set)

    def trusted(self, card: Card) -> bool:
        """Whether the card's example may run: it comes from a bundled or a trusted deck."""
        return card.source not in self.untrusted

    def get(self, card_id: str) -> Card:
        for card in self.cards:
            if card.id == card_id:
                return card
        from quiz.deck.names import close_matches

        raise UnknownCardError(card_id, close_matches(card_id, [c.id for c in self.cards]))
